;; A CGI front for zeroperl (npm @6over3/zeroperl-ts), a WASI reactor: merged into it with
;; binaryen's wasm-merge (bench/interp.sh), this module's imports from "zeroperl" become calls
;; into Perl, and zeroperl's import env.call_host_function (for JavaScript callbacks) is ours.
;;
;;   _start  boot, then serve: one request from scratch, as any WAGI module
;;   boot    _initialize (wasi-libc's constructors), zeroperl_init (perl_construct, perl_parse
;;           of "-e 0", which opens /dev/null, perl_run), then the script compiled as the body
;;           of sub cgi_main (its `use` lines load their modules then)
;;   serve   %ENV from this request's environment, then cgi_main()
;;
;; boot reads no request state, so a server may run it once and start every request from its
;; snapshot (jwagi: init = "boot", entrypoint = "serve"). What boot must not keep: Perl copies
;; the environment into %ENV in perl_parse, so serve reads the request's environment itself
;; (WASI environ_get) and assigns %ENV from it before the script runs; $^T, the hash seed and
;; anything the script computes outside cgi_main are boot's. bench/interp.sh puts the script,
;; wrapped in "sub cgi_main { ... }", in the passive segment $script (@SCRIPT@ below).
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "zeroperl" "memory" (memory 0))
  (import "zeroperl" "_initialize" (func $initialize))
  (import "zeroperl" "zeroperl_init" (func $perl_init (result i32)))
  ;; (code, context: 0 void 1 scalar 2 list, argc, argv) -> 0 or an error; argv becomes @ARGV
  (import "zeroperl" "zeroperl_eval" (func $perl_eval (param i32 i32 i32 i32) (result i32)))
  (import "zeroperl" "zeroperl_flush" (func $perl_flush (result i32)))
  (import "zeroperl" "zeroperl_last_error" (func $perl_last_error (result i32)))
  (import "zeroperl" "malloc" (func $malloc (param i32) (result i32)))

  (data $prelude "%ENV = map { split /=/, $_, 2 } @ARGV; @ARGV = (); 1\00")
  (data $script "@SCRIPT@\00")
  (data $call "cgi_main(); 1\00")

  ;; Perl calls this only for functions a host registered (zeroperl_register_function): none.
  (func (export "call_host_function") (param i32 i32 i32) (result i32)
    unreachable)

  ;; Copies passive segment WHICH (0 $prelude, 1 $script, 2 $call), LEN bytes, into fresh memory.
  (func $segment (param $which i32) (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (call $malloc (local.get $len)))
    (if (i32.eqz (local.get $p)) (then (call $fail (i32.const 0))))
    (block $done
      (block $2
        (block $1
          (block $0 (br_table $0 $1 $2 (local.get $which)))
          (memory.init $prelude (local.get $p) (i32.const 0) (local.get $len))
          (br $done))
        (memory.init $script (local.get $p) (i32.const 0) (local.get $len))
        (br $done))
      (memory.init $call (local.get $p) (i32.const 0) (local.get $len)))
    (local.get $p))

  ;; Writes Perl's last error (if any) to stderr and exits with 1.
  (func $fail (param $with_error i32)
    (local $msg i32) (local $len i32) (local $iov i32)
    (if (local.get $with_error)
      (then
        (local.set $msg (call $perl_last_error))
        (block $done
          (loop $count
            (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $msg) (local.get $len)))))
            (local.set $len (i32.add (local.get $len) (i32.const 1)))
            (br $count)))
        (local.set $iov (call $malloc (i32.const 12)))
        (i32.store (local.get $iov) (local.get $msg))
        (i32.store offset=4 (local.get $iov) (local.get $len))
        (drop (call $fd_write (i32.const 2) (local.get $iov) (i32.const 1)
          (i32.add (local.get $iov) (i32.const 8))))))
    (call $proc_exit (i32.const 1))
    unreachable)

  (func $boot (export "boot")
    (call $initialize)
    (if (call $perl_init) (then (call $fail (i32.const 1))))
    (if (call $perl_eval (call $segment (i32.const 1) (i32.const @SCRIPT_LEN@)) (i32.const 0)
          (i32.const 0) (i32.const 0))
      (then (call $fail (i32.const 1)))))

  (func $serve (export "serve")
    (local $sizes i32) (local $count i32) (local $ptrs i32) (local $buf i32)
    (local.set $sizes (call $malloc (i32.const 8)))
    (drop (call $environ_sizes_get (local.get $sizes) (i32.add (local.get $sizes) (i32.const 4))))
    (local.set $count (i32.load (local.get $sizes)))
    (local.set $ptrs (call $malloc (i32.add (i32.mul (local.get $count) (i32.const 4)) (i32.const 4))))
    (local.set $buf (call $malloc (i32.add (i32.load offset=4 (local.get $sizes)) (i32.const 1))))
    (drop (call $environ_get (local.get $ptrs) (local.get $buf)))
    (if (call $perl_eval (call $segment (i32.const 0) (i32.const 53)) (i32.const 0)
          (local.get $count) (local.get $ptrs))
      (then (call $fail (i32.const 1))))
    (if (call $perl_eval (call $segment (i32.const 2) (i32.const 14)) (i32.const 0)
          (i32.const 0) (i32.const 0))
      (then (call $fail (i32.const 1))))
    (drop (call $perl_flush)))

  (func (export "_start")
    (call $boot)
    (call $serve)))
