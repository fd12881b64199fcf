;; canonical_abi for ruby.wasm (npm @ruby/3.4-wasm-wasi), merged in by bench/interp.sh with
;; bench/big/ruby-cgi.wat. Ruby hands out its values (rb-abi-value) as handles: a handle here is
;; the value's own number, as the simplest host would do. js-abi-value handles come only from
;; JavaScript, which this host does not have.
(module
  (func (export "resource_new_rb-abi-value") (param i32) (result i32) (local.get 0))
  (func (export "resource_get_rb-abi-value") (param i32) (result i32) (local.get 0))
  (func (export "resource_drop_js-abi-value") (param i32) unreachable))
