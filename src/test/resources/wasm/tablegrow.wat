;; Table growth against max_table_elements (GuestTest): two tables of 1 element each, grown five
;; times; answers (a CGI response) one letter per table.grow, Y if it succeeded, N if it returned
;; -1, then "\n". With a cap of 100 elements (both tables together): YYNYN.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "Content-Type: text/plain\n\n")
  (table $a 1 funcref)
  (table $b 1 funcref)
  (func $report (param $result i32) (param $at i32)
    (i32.store8 (local.get $at)
      (select (i32.const 78) (i32.const 89) (i32.eq (local.get $result) (i32.const -1)))))
  (func (export "_start")
    (call $report (table.grow $a (ref.null func) (i32.const 40)) (i32.const 100)) ;; 42 in all
    (call $report (table.grow $b (ref.null func) (i32.const 50)) (i32.const 101)) ;; 92
    (call $report (table.grow $b (ref.null func) (i32.const 9)) (i32.const 102)) ;; 101: over 100
    (call $report (table.grow $a (ref.null func) (i32.const 8)) (i32.const 103)) ;; 100
    (call $report (table.grow $a (ref.null func) (i32.const 2000000)) (i32.const 104))
    (i32.store8 (i32.const 105) (i32.const 10))
    (i32.store (i32.const 0) (i32.const 200))
    (i32.store (i32.const 4) (i32.const 26))
    (i32.store (i32.const 8) (i32.const 100))
    (i32.store (i32.const 12) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 16)))))
