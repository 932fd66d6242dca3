;; Case-folded substring search with WebAssembly SIMD, for the byte prefilter,
;; and the line and record break counts of the record locator.
;;
;; find(data, len, needle, k, from) returns the first i >= from where the k
;; bytes at data+i, each OR-ed with 0x20, equal the k bytes at needle (which
;; the caller stores already OR-ed with 0x20), or -1. OR-ing with 0x20 folds
;; ASCII case (and merges a few other bytes; candidates are checked later).
;;
;; The SIMD loop is the "generic SIMD" substring search (W. Mula): compare
;; the needle's first byte at 16 positions and its last byte k-1 further on;
;; only positions where both agree are compared in full. k >= 1.
;; findAny(...) does that for several needles in one pass over memory, and
;; records(...) counts line and record breaks; see their comments below.
;;
;; Build: node scripts/build-wasm.mjs (run by npm run build).
(module
  (memory (export "memory") 1)
  ;; Results of records() besides its return value.
  (global $lines (export "lines") (mut i32) (i32.const 0))
  (global $last (export "last") (mut i32) (i32.const -1))
  (global $linesAtLast (export "linesAtLast") (mut i32) (i32.const 0))

  ;; 1 when the n bytes at p, case-folded, equal the n bytes at q (n <= 0: 1).
  (func $equal (param $p i32) (param $q i32) (param $n i32) (result i32)
    (block $yes (result i32)
      (block $no
        (loop $next
          (br_if $yes (i32.const 1) (i32.le_s (local.get $n) (i32.const 0)))
          (br_if $no
            (i32.ne (i32.or (i32.load8_u (local.get $p)) (i32.const 0x20))
                    (i32.load8_u (local.get $q))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
      (i32.const 0)))

  (func $find (export "find") (param $data i32) (param $len i32) (param $needle i32) (param $k i32) (param $from i32) (result i32)
    (local $i i32) (local $first v128) (local $last v128) (local $fold v128)
    (local $mask i32) (local $bit i32) (local $at i32) (local $end i32) (local $p i32) (local $q i32) (local $step i32)
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
        ;; 32 bytes a turn while they fit (one branch for both halves), else 16.
        (local.set $p (i32.add (local.get $data) (local.get $i)))
        (local.set $q (i32.add (local.get $p) (i32.sub (local.get $k) (i32.const 1))))
        (local.set $mask
          (i8x16.bitmask
            (v128.and
              (i8x16.eq (v128.or (v128.load (local.get $p)) (local.get $fold)) (local.get $first))
              (i8x16.eq (v128.or (v128.load (local.get $q)) (local.get $fold)) (local.get $last)))))
        (local.set $step (i32.const 16))
        (if (i32.lt_s (i32.add (local.get $i) (i32.const 16)) (local.get $end))
          (then
            (local.set $mask
              (i32.or (local.get $mask)
                (i32.shl
                  (i8x16.bitmask
                    (v128.and
                      (i8x16.eq (v128.or (v128.load offset=16 (local.get $p)) (local.get $fold)) (local.get $first))
                      (i8x16.eq (v128.or (v128.load offset=16 (local.get $q)) (local.get $fold)) (local.get $last))))
                  (i32.const 16))))
            (local.set $step (i32.const 32))))
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
        (local.set $i (i32.add (local.get $i) (local.get $step)))
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

  ;; findAny(data, len, table, n, from): the first i >= from where any of the
  ;; n needles listed at table (pairs of i32: needle offset, length k >= 1)
  ;; matches as in find, or -1. The data is taken 16 KiB at a time and each
  ;; needle searched in that window while it is in the L1 cache: one pass over
  ;; memory for all needles, and find's tight loop kept (one loop testing
  ;; every needle per block was measured slower).
  (func (export "findAny") (param $data i32) (param $len i32) (param $table i32) (param $n i32) (param $from i32) (result i32)
    (local $w i32) (local $wEnd i32) (local $j i32) (local $e i32) (local $k i32) (local $at i32) (local $best i32)
    (local.set $w (local.get $from))
    (loop $window
      (if (i32.ge_s (local.get $w) (local.get $len)) (then (return (i32.const -1))))
      (local.set $wEnd (i32.add (local.get $w) (i32.const 16384)))
      (if (i32.gt_s (local.get $wEnd) (local.get $len)) (then (local.set $wEnd (local.get $len))))
      (local.set $best (i32.const -1))
      (local.set $j (i32.const 0))
      (block $needles_done
        (loop $needles
          (br_if $needles_done (i32.ge_s (local.get $j) (local.get $n)))
          (local.set $e (i32.add (local.get $table) (i32.shl (local.get $j) (i32.const 3))))
          (local.set $k (i32.load offset=4 (local.get $e)))
          ;; Only starts before wEnd: the data handed to find ends k-1 bytes after it.
          (local.set $at
            (call $find (local.get $data)
              (select (local.get $len) (i32.add (local.get $wEnd) (i32.sub (local.get $k) (i32.const 1)))
                      (i32.lt_s (local.get $len) (i32.add (local.get $wEnd) (i32.sub (local.get $k) (i32.const 1)))))
              (i32.load (local.get $e)) (local.get $k) (local.get $w)))
          (if (i32.and (i32.ne (local.get $at) (i32.const -1))
                       (i32.or (i32.eq (local.get $best) (i32.const -1)) (i32.lt_s (local.get $at) (local.get $best))))
            (then (local.set $best (local.get $at))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $needles)))
      (if (i32.ne (local.get $best) (i32.const -1)) (then (return (local.get $best))))
      (local.set $w (local.get $wEnd))
      (br $window))
    (i32.const -1))

  ;; Bit i set when byte i of the 64 bytes in a..d equals the byte in every lane of c.
  (func $bits (param $a v128) (param $b v128) (param $c v128) (param $d v128) (param $x v128) (result i64)
    (i64.or
      (i64.or
        (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $a) (local.get $x))))
        (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $b) (local.get $x)))) (i64.const 16)))
      (i64.or
        (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $c) (local.get $x)))) (i64.const 32))
        (i64.shl (i64.extend_i32_u (i8x16.bitmask (i8x16.eq (local.get $d) (local.get $x)))) (i64.const 48)))))

  ;; records(data, from, to, len, delim, csv, stop) scans data[from..to), which
  ;; starts at a record start, 64 bytes at a time, and returns how many record
  ;; breaks it holds; data[len] is the end of the data (the byte after a CR is
  ;; looked at up to there). A line break is LF or a CR not followed by LF (a
  ;; CRLF breaks at its LF). Globals: $lines counts every line break, $last is
  ;; the offset of the last record break (-1 if none), $linesAtLast the line
  ;; breaks up to and including it. stop=1 returns at the first record break.
  ;;
  ;; csv=1: RFC 4180 quoting, a line break inside quotes is not a record break.
  ;; The quote state is the prefix-XOR of the quote bits ("" toggles twice, so
  ;; an escaped quote needs no special case). That equals the locator's
  ;; byte-by-byte state machine as long as every opening quote is at a field
  ;; start (after delim, CR, LF, or right after a closing quote: ""). A quote
  ;; elsewhere in an unquoted field is a literal there, which the XOR cannot
  ;; express: records() then returns -1 and the caller walks these bytes in
  ;; JavaScript. The 64 bytes after data[to] must be readable (they are masked).
  (func (export "records") (param $data i32) (param $from i32) (param $to i32) (param $len i32)
      (param $delim i32) (param $csv i32) (param $stop i32) (result i32)
    (local $p i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $lf i64) (local $cr i64) (local $q i64) (local $x i64) (local $in i64) (local $valid i64)
    (local $brk i64) (local $rec i64) (local $ok i64) (local $okCarry i64) (local $n i32) (local $bit i32)
    (local $records i32) (local $next i32)
    (global.set $lines (i32.const 0))
    (global.set $last (i32.const -1))
    (global.set $linesAtLast (i32.const 0))
    (local.set $okCarry (i64.const 1)) ;; the scan starts at a field start
    (local.set $p (local.get $from))
    (block $done
      (loop $block
        (br_if $done (i32.ge_s (local.get $p) (local.get $to)))
        (local.set $a (v128.load (i32.add (local.get $data) (local.get $p))))
        (local.set $b (v128.load offset=16 (i32.add (local.get $data) (local.get $p))))
        (local.set $c (v128.load offset=32 (i32.add (local.get $data) (local.get $p))))
        (local.set $d (v128.load offset=48 (i32.add (local.get $data) (local.get $p))))
        (local.set $lf (call $bits (local.get $a) (local.get $b) (local.get $c) (local.get $d) (i8x16.splat (i32.const 10))))
        (local.set $cr (call $bits (local.get $a) (local.get $b) (local.get $c) (local.get $d) (i8x16.splat (i32.const 13))))
        ;; Bits at or after `to` do not count.
        (local.set $n (i32.sub (local.get $to) (local.get $p)))
        (local.set $valid
          (if (result i64) (i32.ge_s (local.get $n) (i32.const 64))
            (then (i64.const -1))
            (else (i64.sub (i64.shl (i64.const 1) (i64.extend_i32_u (local.get $n))) (i64.const 1)))))
        ;; A CR is a break unless an LF follows (the byte after this block: when inside the data).
        (local.set $next (i32.add (local.get $p) (i32.const 64)))
        (local.set $x (i64.shr_u (local.get $lf) (i64.const 1)))
        (if (i32.and (i32.lt_s (local.get $next) (local.get $len))
                     (i32.eq (i32.load8_u (i32.add (local.get $data) (local.get $next))) (i32.const 10)))
          (then (local.set $x (i64.or (local.get $x) (i64.const 0x8000000000000000)))))
        (if (i32.lt_s (local.get $n) (i32.const 64))
          (then
            ;; The byte after the last one in range: only an LF inside the data counts.
            (if (i32.ge_s (local.get $to) (local.get $len))
              (then (local.set $x (i64.and (local.get $x) (i64.shr_u (local.get $valid) (i64.const 1))))))))
        (local.set $brk (i64.and (i64.or (local.get $lf) (i64.and (local.get $cr) (i64.xor (local.get $x) (i64.const -1)))) (local.get $valid)))
        (local.set $rec (local.get $brk))
        (if (local.get $csv)
          (then
            (local.set $q (call $bits (local.get $a) (local.get $b) (local.get $c) (local.get $d) (i8x16.splat (i32.const 34))))
            ;; Inside-quotes mask: prefix-XOR of the quote bits, with the state carried in.
            (local.set $x (local.get $q))
            (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 1))))
            (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 2))))
            (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 4))))
            (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 8))))
            (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 16))))
            (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 32))))
            (local.set $in (i64.xor (local.get $x) (local.get $in)))
            ;; Opening quotes must follow a delimiter, CR, LF or quote (see above).
            (local.set $ok (i64.or (i64.or (local.get $lf) (local.get $cr))
                                   (i64.or (local.get $q) (call $bits (local.get $a) (local.get $b) (local.get $c) (local.get $d) (i8x16.splat (local.get $delim))))))
            (if (i64.ne (i64.const 0)
                  (i64.and (i64.and (i64.and (local.get $q) (local.get $in)) (local.get $valid))
                           (i64.xor (i64.or (i64.shl (local.get $ok) (i64.const 1)) (local.get $okCarry)) (i64.const -1))))
              (then (return (i32.const -1))))
            (local.set $okCarry (i64.shr_u (local.get $ok) (i64.const 63)))
            (local.set $rec (i64.and (local.get $brk) (i64.xor (local.get $in) (i64.const -1))))
            (local.set $in (i64.shr_s (local.get $in) (i64.const 63)))))
        (if (i64.ne (local.get $rec) (i64.const 0))
          (then
            (if (local.get $stop)
              (then
                (local.set $bit (i32.wrap_i64 (i64.ctz (local.get $rec))))
                (local.set $records (i32.const 1)))
              (else
                (local.set $bit (i32.sub (i32.const 63) (i32.wrap_i64 (i64.clz (local.get $rec)))))
                (local.set $records (i32.add (local.get $records) (i32.wrap_i64 (i64.popcnt (local.get $rec)))))))
            (global.set $last (i32.add (local.get $p) (local.get $bit)))
            ;; Line breaks up to and including that bit: shift out the bits above it.
            (global.set $linesAtLast
              (i32.add (global.get $lines)
                       (i32.wrap_i64 (i64.popcnt (i64.shl (local.get $brk) (i64.extend_i32_u (i32.sub (i32.const 63) (local.get $bit))))))))
            (if (local.get $stop)
              (then
                (global.set $lines (global.get $linesAtLast))
                (return (i32.const 1))))))
        (global.set $lines (i32.add (global.get $lines) (i32.wrap_i64 (i64.popcnt (local.get $brk)))))
        (local.set $p (local.get $next))
        (br $block)))
    (local.get $records))
)
