;; Case-folded substring search with WebAssembly SIMD, for the byte prefilter.
;;
;; find(data, len, needle, k, from) returns the first i >= from where the k
;; bytes at data+i, each OR-ed with 0x20, equal the k bytes at needle (which
;; the caller stores already OR-ed with 0x20), or -1. OR-ing with 0x20 folds
;; ASCII case (and merges a few other bytes; candidates are checked later).
;;
;; The SIMD loop is the "generic SIMD" substring search (W. Mula): compare
;; the needle's first byte at 16 positions and its last byte k-1 further on;
;; only positions where both agree are compared in full. k must be >= 2.
;;
;; Build: node scripts/build-wasm.mjs (run by npm run build).
(module
  (memory (export "memory") 1)

  ;; 1 when the n bytes at p, case-folded, equal the n bytes at q.
  (func $equal (param $p i32) (param $q i32) (param $n i32) (result i32)
    (block $yes (result i32)
      (block $no
        (loop $next
          (br_if $yes (i32.const 1) (i32.eqz (local.get $n)))
          (br_if $no
            (i32.ne (i32.or (i32.load8_u (local.get $p)) (i32.const 0x20))
                    (i32.load8_u (local.get $q))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
      (i32.const 0)))

  (func (export "find") (param $data i32) (param $len i32) (param $needle i32) (param $k i32) (param $from i32) (result i32)
    (local $i i32) (local $first v128) (local $last v128) (local $fold v128)
    (local $mask i32) (local $bit i32) (local $at i32) (local $end i32)
    (if (i32.lt_s (local.get $len) (local.get $k)) (then (return (i32.const -1))))
    (local.set $first (i8x16.splat (i32.load8_u (local.get $needle))))
    (local.set $last (i8x16.splat (i32.load8_u (i32.add (local.get $needle) (i32.sub (local.get $k) (i32.const 1))))))
    (local.set $fold (i8x16.splat (i32.const 0x20)))
    (local.set $i (local.get $from))
    ;; SIMD while a 16-byte block at i+k-1 stays inside the data.
    (local.set $end (i32.sub (i32.sub (local.get $len) (local.get $k)) (i32.const 15)))
    (block $simd_done
      (loop $block
        (br_if $simd_done (i32.ge_s (local.get $i) (local.get $end)))
        (local.set $mask
          (i8x16.bitmask
            (v128.and
              (i8x16.eq
                (v128.or (v128.load (i32.add (local.get $data) (local.get $i))) (local.get $fold))
                (local.get $first))
              (i8x16.eq
                (v128.or (v128.load (i32.add (i32.add (local.get $data) (local.get $i)) (i32.sub (local.get $k) (i32.const 1)))) (local.get $fold))
                (local.get $last)))))
        (block $bits_done
          (loop $bits
            (br_if $bits_done (i32.eqz (local.get $mask)))
            (local.set $bit (i32.ctz (local.get $mask)))
            (local.set $at (i32.add (local.get $i) (local.get $bit)))
            (if (call $equal
                  (i32.add (i32.add (local.get $data) (local.get $at)) (i32.const 1))
                  (i32.add (local.get $needle) (i32.const 1))
                  (i32.sub (local.get $k) (i32.const 2)))
              (then (return (local.get $at))))
            (local.set $mask (i32.and (local.get $mask) (i32.sub (local.get $mask) (i32.const 1))))
            (br $bits)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $block)))
    ;; The last positions, one by one.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.gt_s (local.get $i) (i32.sub (local.get $len) (local.get $k))))
        (if (call $equal (i32.add (local.get $data) (local.get $i)) (local.get $needle) (local.get $k))
          (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (i32.const -1))
)
