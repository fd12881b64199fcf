;; A CGI front for ruby.wasm (npm @ruby/3.4-wasm-wasi, ruby+stdlib.wasm: Ruby 3.4 with its
;; standard library in a wasi-vfs image), a WASI reactor made for a JavaScript host. bench/interp.sh
;; merges it in with binaryen's wasm-merge under the name "rb-js-abi-host" (and
;; ruby-canonical-abi.wat as "canonical_abi"), so this module's imports from "ruby" become calls
;; into Ruby and Ruby's imports of its JavaScript extension are the stubs below, which trap: no
;; script here calls JavaScript.
;;
;;   _start  boot, then serve: one request from scratch, as any WAGI module
;;   boot    _initialize (wasi-vfs and wasi-libc), ruby-init with the JS host's default
;;           arguments (ruby -EUTF-8 -e_=0: RubyGems loaded), then the script evaluated once: it
;;           defines cgi_main
;;   serve   ENV from this request's environment, then cgi_main, then stdout flushed
;;
;; boot reads no request state, so a server may run it once and start every request from its
;; snapshot (jwagi: init = "boot", entrypoint = "serve"). What boot must not keep: wasi-libc reads
;; the environment once and Ruby's ENV is that copy, so serve reads the request's environment
;; itself (WASI environ_get), hex-encodes it into the Ruby line it evaluates and replaces ENV
;; with it; Ruby's hash seed and Random's seed are boot's. bench/interp.sh puts the script in the
;; passive segment $script (@SCRIPT@ below).
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "ruby" "memory" (memory 0))
  (import "ruby" "_initialize" (func $initialize))
  (import "ruby" "cabi_realloc" (func $realloc (param i32 i32 i32 i32) (result i32)))
  ;; (list of (pointer, length) strings, count)
  (import "ruby" "ruby-init: func(args: list<string>) -> ()" (func $ruby_init (param i32 i32)))
  ;; (code, length with its NUL) -> address of (value handle, status: 0 or an exception's tag)
  (import "ruby" "rb-eval-string-protect: func(str: string) -> tuple<handle<rb-abi-value>, s32>"
    (func $eval_protect (param i32 i32) (result i32)))

  ;; argv as the JavaScript host passes it: each string with its NUL, counted in its length
  (data $args "ruby\00-EUTF-8\00-e_=0\00")
  (data $script "@SCRIPT@\00")
  (data $env_head "ENV.replace([\22")
  (data $env_tail "\22].pack(\22H*\22).split(\22\\0\22).to_h { k, v = _1.split(\22=\22, 2); [k, v.to_s] })\n"
    "begin\n  cgi_main\nrescue Exception => e\n  $stderr.print e.full_message\n  raise\n"
    "ensure\n  $stdout.flush\n  $stderr.flush\nend\00")
  (data $failed "ruby: the script raised an exception\n")

  ;; Ruby's JavaScript extension (ext/js): called only when a script uses JS, which none here does.
  (func (export "rb_wasm_throw_prohibit_rewind_exception")
   (param i32 i32) unreachable)
  (func (export "eval-js: func(code: string) -> variant { success(handle<js-abi-value>), failure(handle<js-abi-value>) }")
   (param i32 i32 i32) unreachable)
  (func (export "is-js: func(value: handle<js-abi-value>) -> bool")
   (param i32) (result i32) unreachable)
  (func (export "instance-of: func(value: handle<js-abi-value>, klass: handle<js-abi-value>) -> bool")
   (param i32 i32) (result i32) unreachable)
  (func (export "global-this: func() -> handle<js-abi-value>")
   (result i32) unreachable)
  (func (export "int-to-js-number: func(value: s32) -> handle<js-abi-value>")
   (param i32) (result i32) unreachable)
  (func (export "float-to-js-number: func(value: float64) -> handle<js-abi-value>")
   (param f64) (result i32) unreachable)
  (func (export "string-to-js-string: func(value: string) -> handle<js-abi-value>")
   (param i32 i32) (result i32) unreachable)
  (func (export "bool-to-js-bool: func(value: bool) -> handle<js-abi-value>")
   (param i32) (result i32) unreachable)
  (func (export "proc-to-js-function: func(value: u32) -> handle<js-abi-value>")
   (param i32) (result i32) unreachable)
  (func (export "rb-object-to-js-rb-value: func(raw-rb-abi-value: u32) -> handle<js-abi-value>")
   (param i32) (result i32) unreachable)
  (func (export "js-value-to-string: func(value: handle<js-abi-value>) -> string")
   (param i32 i32) unreachable)
  (func (export "js-value-to-integer: func(value: handle<js-abi-value>) -> variant { as-float(float64), bignum(string) }")
   (param i32 i32) unreachable)
  (func (export "export-js-value-to-host: func(value: handle<js-abi-value>) -> ()")
   (param i32) unreachable)
  (func (export "import-js-value-from-host: func() -> handle<js-abi-value>")
   (result i32) unreachable)
  (func (export "js-value-typeof: func(value: handle<js-abi-value>) -> string")
   (param i32 i32) unreachable)
  (func (export "js-value-equal: func(lhs: handle<js-abi-value>, rhs: handle<js-abi-value>) -> bool")
   (param i32 i32) (result i32) unreachable)
  (func (export "js-value-strictly-equal: func(lhs: handle<js-abi-value>, rhs: handle<js-abi-value>) -> bool")
   (param i32 i32) (result i32) unreachable)
  (func (export "reflect-apply: func(target: handle<js-abi-value>, this-argument: handle<js-abi-value>, arguments: list<handle<js-abi-value>>) -> variant { success(handle<js-abi-value>), failure(handle<js-abi-value>) }")
   (param i32 i32 i32 i32 i32) unreachable)
  (func (export "reflect-get: func(target: handle<js-abi-value>, property-key: string) -> variant { success(handle<js-abi-value>), failure(handle<js-abi-value>) }")
   (param i32 i32 i32 i32) unreachable)
  (func (export "reflect-set: func(target: handle<js-abi-value>, property-key: string, value: handle<js-abi-value>) -> variant { success(handle<js-abi-value>), failure(handle<js-abi-value>) }")
   (param i32 i32 i32 i32 i32) unreachable)

  (func $malloc (param $size i32) (result i32)
    (call $realloc (i32.const 0) (i32.const 0) (i32.const 8) (local.get $size)))

  ;; Evaluates LEN bytes of Ruby at CODE (NUL included); exits 1 if it raised.
  (func $eval (param $code i32) (param $len i32)
    (local $iov i32)
    (if (i32.load offset=4 (call $eval_protect (local.get $code) (local.get $len)))
      (then
        (local.set $iov (call $malloc (i32.const 12)))
        (memory.init $failed (i32.add (local.get $iov) (i32.const 12)) (i32.const 0) (i32.const 37))
        (i32.store (local.get $iov) (i32.add (local.get $iov) (i32.const 12)))
        (i32.store offset=4 (local.get $iov) (i32.const 37))
        (drop (call $fd_write (i32.const 2) (local.get $iov) (i32.const 1) (local.get $iov)))
        (call $proc_exit (i32.const 1)))))

  (func $boot (export "boot")
    (local $strings i32) (local $list i32) (local $script i32)
    (call $initialize)
    (local.set $strings (call $malloc (i32.const 19)))
    (memory.init $args (local.get $strings) (i32.const 0) (i32.const 19))
    (local.set $list (call $malloc (i32.const 24)))
    (i32.store offset=0 (local.get $list) (local.get $strings))
    (i32.store offset=4 (local.get $list) (i32.const 5))
    (i32.store offset=8 (local.get $list) (i32.add (local.get $strings) (i32.const 5)))
    (i32.store offset=12 (local.get $list) (i32.const 8))
    (i32.store offset=16 (local.get $list) (i32.add (local.get $strings) (i32.const 13)))
    (i32.store offset=20 (local.get $list) (i32.const 6))
    (call $ruby_init (local.get $list) (i32.const 3))
    (local.set $script (call $malloc (i32.const @SCRIPT_LEN@)))
    (memory.init $script (local.get $script) (i32.const 0) (i32.const @SCRIPT_LEN@))
    (call $eval (local.get $script) (i32.const @SCRIPT_LEN@)))

  (func $hex_digit (param $d i32) (result i32)
    (select (i32.add (local.get $d) (i32.const 48)) (i32.add (local.get $d) (i32.const 87))
      (i32.lt_u (local.get $d) (i32.const 10))))

  (func $serve (export "serve")
    (local $sizes i32) (local $count i32) (local $size i32) (local $ptrs i32) (local $buf i32)
    (local $code i32) (local $at i32) (local $i i32) (local $b i32) (local $tail_len i32)
    (local.set $sizes (call $malloc (i32.const 8)))
    (drop (call $environ_sizes_get (local.get $sizes) (i32.add (local.get $sizes) (i32.const 4))))
    (local.set $count (i32.load (local.get $sizes)))
    (local.set $size (i32.load offset=4 (local.get $sizes)))
    (local.set $ptrs (call $malloc (i32.add (i32.mul (local.get $count) (i32.const 4)) (i32.const 4))))
    (local.set $buf (call $malloc (i32.add (local.get $size) (i32.const 1))))
    (drop (call $environ_get (local.get $ptrs) (local.get $buf)))
    ;; head (14 bytes), two hex digits per byte of the block, tail (with its NUL)
    (local.set $tail_len (i32.const 194))
    (local.set $code (call $malloc
      (i32.add (i32.add (i32.const 14) (i32.shl (local.get $size) (i32.const 1))) (local.get $tail_len))))
    (memory.init $env_head (local.get $code) (i32.const 0) (i32.const 14))
    (local.set $at (i32.add (local.get $code) (i32.const 14)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $size)))
        (local.set $b (i32.load8_u (i32.add (local.get $buf) (local.get $i))))
        (i32.store8 (local.get $at) (call $hex_digit (i32.shr_u (local.get $b) (i32.const 4))))
        (i32.store8 offset=1 (local.get $at) (call $hex_digit (i32.and (local.get $b) (i32.const 15))))
        (local.set $at (i32.add (local.get $at) (i32.const 2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (memory.init $env_tail (local.get $at) (i32.const 0) (local.get $tail_len))
    (call $eval (local.get $code)
      (i32.sub (i32.add (local.get $at) (local.get $tail_len)) (local.get $code))))

  (func (export "_start")
    (call $boot)
    (call $serve)))
