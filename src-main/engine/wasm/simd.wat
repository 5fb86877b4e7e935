;; Training kernels in WebAssembly SIMD that run on TF.js's own wasm heap (the module imports the
;; backend's memory, so tensors are read and written where the backend keeps them: pointers are the
;; byte offsets TF.js records for each tensor). Source of simd-binary.ts: `npm run build:simd`.
;;
;; Float32 arithmetic throughout (IEEE single, correctly rounded per operation) except where a
;; comment says float64: sums over the batch are kept in float64.
(module
  (import "env" "memory" (memory 1))

  ;; Adam, TF.js's order of operations, per element:
  ;;   m' = m*b1 + g*(1-b1);  v' = v*b2 + (g*g)*(1-b2)
  ;;   x' = ((m'/c1) / (sqrt(v'/c2) + eps)) * (-lr) + x
  (func (export "adam")
    (param $px i32) (param $pm i32) (param $pv i32) (param $pg i32)
    (param $pnx i32) (param $pnm i32) (param $pnv i32) (param $n i32)
    (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32)
    (param $c1 f32) (param $c2 f32) (param $eps f32) (param $neglr f32)
    (local $i i32) (local $end4 i32) (local $o i32)
    (local $g v128) (local $m v128) (local $v v128)
    (local $vb1 v128) (local $vomb1 v128) (local $vb2 v128) (local $vomb2 v128)
    (local $vc1 v128) (local $vc2 v128) (local $veps v128) (local $vlr v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $vb1 (f32x4.splat (local.get $b1)))
    (local.set $vomb1 (f32x4.splat (local.get $omb1)))
    (local.set $vb2 (f32x4.splat (local.get $b2)))
    (local.set $vomb2 (f32x4.splat (local.get $omb2)))
    (local.set $vc1 (f32x4.splat (local.get $c1)))
    (local.set $vc2 (f32x4.splat (local.get $c2)))
    (local.set $veps (f32x4.splat (local.get $eps)))
    (local.set $vlr (f32x4.splat (local.get $neglr)))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $g (v128.load (i32.add (local.get $pg) (local.get $o))))
        (local.set $m (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $pm) (local.get $o))) (local.get $vb1))
          (f32x4.mul (local.get $g) (local.get $vomb1))))
        (local.set $v (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $pv) (local.get $o))) (local.get $vb2))
          (f32x4.mul (f32x4.mul (local.get $g) (local.get $g)) (local.get $vomb2))))
        (v128.store (i32.add (local.get $pnm) (local.get $o)) (local.get $m))
        (v128.store (i32.add (local.get $pnv) (local.get $o)) (local.get $v))
        (v128.store (i32.add (local.get $pnx) (local.get $o))
          (f32x4.add
            (f32x4.mul
              (f32x4.div
                (f32x4.div (local.get $m) (local.get $vc1))
                (f32x4.add (f32x4.sqrt (f32x4.div (local.get $v) (local.get $vc2))) (local.get $veps)))
              (local.get $vlr))
            (v128.load (i32.add (local.get $px) (local.get $o)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $l)))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gs (f32.load (i32.add (local.get $pg) (local.get $o))))
        (local.set $ms (f32.add
          (f32.mul (f32.load (i32.add (local.get $pm) (local.get $o))) (local.get $b1))
          (f32.mul (local.get $gs) (local.get $omb1))))
        (local.set $vs (f32.add
          (f32.mul (f32.load (i32.add (local.get $pv) (local.get $o))) (local.get $b2))
          (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omb2))))
        (f32.store (i32.add (local.get $pnm) (local.get $o)) (local.get $ms))
        (f32.store (i32.add (local.get $pnv) (local.get $o)) (local.get $vs))
        (f32.store (i32.add (local.get $pnx) (local.get $o))
          (f32.add
            (f32.mul
              (f32.div
                (f32.div (local.get $ms) (local.get $c1))
                (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $c2))) (local.get $eps)))
              (local.get $neglr))
            (f32.load (i32.add (local.get $px) (local.get $o)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l1))))

  ;; dst[c * rows + r] = src[r * cols + c]: a [rows, cols] float32 matrix transposed, in 8 x 8 tiles.
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $r0 i32) (local $c0 i32) (local $r i32) (local $c i32) (local $rend i32) (local $cend i32)
    (block $d0 (loop $l0
      (br_if $d0 (i32.ge_u (local.get $r0) (local.get $rows)))
      (local.set $rend (select (i32.add (local.get $r0) (i32.const 8)) (local.get $rows)
        (i32.lt_u (i32.add (local.get $r0) (i32.const 8)) (local.get $rows))))
      (local.set $c0 (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_u (local.get $c0) (local.get $cols)))
        (local.set $cend (select (i32.add (local.get $c0) (i32.const 8)) (local.get $cols)
          (i32.lt_u (i32.add (local.get $c0) (i32.const 8)) (local.get $cols))))
        (local.set $r (local.get $r0))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $r) (local.get $rend)))
          (local.set $c (local.get $c0))
          (block $d3 (loop $l3
            (br_if $d3 (i32.ge_u (local.get $c) (local.get $cend)))
            (f32.store
              (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $rows)) (local.get $r)) (i32.const 2)))
              (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $l3)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $l2)))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 8)))
        (br $l1)))
      (local.set $r0 (i32.add (local.get $r0) (i32.const 8)))
      (br $l0))))

  ;; im2col of an NHWC input for a kh x kw convolution (stride sh, sw; zero padding top/left pt, pl):
  ;; dst[n, (i * kw + j) * c + ch] with n = (b * oh + y) * ow + x, zero where the tap falls outside.
  (func (export "im2col")
    (param $src i32) (param $dst i32) (param $b i32) (param $h i32) (param $w i32) (param $c i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (param $oh i32) (param $ow i32)
    (local $bi i32) (local $y i32) (local $x i32) (local $i i32) (local $j i32)
    (local $iy i32) (local $ix i32) (local $out i32) (local $bytes i32) (local $row i32)
    (local.set $bytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $out (local.get $dst))
    (block $db (loop $lb
      (br_if $db (i32.ge_u (local.get $bi) (local.get $b)))
      (local.set $y (i32.const 0))
      (block $dy (loop $ly
        (br_if $dy (i32.ge_u (local.get $y) (local.get $oh)))
        (local.set $x (i32.const 0))
        (block $dx (loop $lx
          (br_if $dx (i32.ge_u (local.get $x) (local.get $ow)))
          (local.set $i (i32.const 0))
          (block $di (loop $li
            (br_if $di (i32.ge_u (local.get $i) (local.get $kh)))
            (local.set $iy (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sh)) (local.get $i)) (local.get $pt)))
            (local.set $j (i32.const 0))
            (local.set $ix (i32.sub (i32.mul (local.get $x) (local.get $sw)) (local.get $pl)))
            ;; the whole filter row inside the image: kw * c contiguous values, one copy
            (if (i32.and (i32.lt_u (local.get $iy) (local.get $h))
                  (i32.and (i32.ge_s (local.get $ix) (i32.const 0)) (i32.le_s (i32.add (local.get $ix) (local.get $kw)) (local.get $w))))
              (then
                (local.set $row (i32.add (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)))
                (memory.copy (local.get $out) (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $bytes)))
                  (i32.mul (local.get $bytes) (local.get $kw)))
                (local.set $out (i32.add (local.get $out) (i32.mul (local.get $bytes) (local.get $kw))))
                (local.set $j (local.get $kw))))
            (block $dj (loop $lj
              (br_if $dj (i32.ge_u (local.get $j) (local.get $kw)))
              (local.set $ix (i32.sub (i32.add (i32.mul (local.get $x) (local.get $sw)) (local.get $j)) (local.get $pl)))
              (if (i32.and (i32.lt_u (local.get $iy) (local.get $h)) (i32.lt_u (local.get $ix) (local.get $w)))
                (then
                  (local.set $row (i32.add (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $ix)))
                  (memory.copy (local.get $out) (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $bytes))) (local.get $bytes)))
                (else (memory.fill (local.get $out) (i32.const 0) (local.get $bytes))))
              (local.set $out (i32.add (local.get $out) (local.get $bytes)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $lj)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $li)))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $lx)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $ly)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $lb))))

  ;; im2col transposed: dst[(i * kw + j) * c + ch, n] (rows of N = b * oh * ow values), the operand
  ;; the filter gradient multiplies by dy, written row by row (reads strided, writes contiguous).
  (func (export "im2colT")
    (param $src i32) (param $dst i32) (param $b i32) (param $h i32) (param $w i32) (param $c i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (param $oh i32) (param $ow i32)
    (local $i i32) (local $j i32) (local $ch i32) (local $bi i32) (local $y i32) (local $x i32)
    (local $iy i32) (local $ix i32) (local $out i32) (local $rowBase i32) (local $xstep i32)
    (local.set $out (local.get $dst))
    (local.set $xstep (i32.shl (i32.mul (local.get $sw) (local.get $c)) (i32.const 2)))
    (block $di (loop $li
      (br_if $di (i32.ge_u (local.get $i) (local.get $kh)))
      (local.set $j (i32.const 0))
      (block $dj (loop $lj
        (br_if $dj (i32.ge_u (local.get $j) (local.get $kw)))
        (local.set $ch (i32.const 0))
        (block $dc (loop $lc
          (br_if $dc (i32.ge_u (local.get $ch) (local.get $c)))
          (local.set $bi (i32.const 0))
          (block $db (loop $lb
            (br_if $db (i32.ge_u (local.get $bi) (local.get $b)))
            (local.set $y (i32.const 0))
            (block $dy (loop $ly
              (br_if $dy (i32.ge_u (local.get $y) (local.get $oh)))
              (local.set $iy (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sh)) (local.get $i)) (local.get $pt)))
              (if (i32.ge_u (local.get $iy) (local.get $h))
                (then
                  (memory.fill (local.get $out) (i32.const 0) (i32.shl (local.get $ow) (i32.const 2)))
                  (local.set $out (i32.add (local.get $out) (i32.shl (local.get $ow) (i32.const 2)))))
                (else
                  ;; address of x[bi, iy, 0, ch]
                  (local.set $rowBase (i32.add (local.get $src)
                    (i32.shl (i32.add (i32.mul (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $h)) (local.get $iy)) (local.get $w)) (local.get $c)) (local.get $ch)) (i32.const 2))))
                  (local.set $x (i32.const 0))
                  (local.set $ix (i32.sub (local.get $j) (local.get $pl)))
                  (block $dx (loop $lx
                    (br_if $dx (i32.ge_u (local.get $x) (local.get $ow)))
                    (f32.store (local.get $out)
                      (if (result f32) (i32.lt_u (local.get $ix) (local.get $w))
                        (then (f32.load (i32.add (local.get $rowBase) (i32.shl (i32.mul (local.get $ix) (local.get $c)) (i32.const 2)))))
                        (else (f32.const 0))))
                    (local.set $out (i32.add (local.get $out) (i32.const 4)))
                    (local.set $ix (i32.add (local.get $ix) (local.get $sw)))
                    (local.set $x (i32.add (local.get $x) (i32.const 1)))
                    (br $lx)))))
              (local.set $y (i32.add (local.get $y) (i32.const 1)))
              (br $ly)))
            (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
            (br $lb)))
          (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
          (br $lc)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $lj)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $li))))

  ;; MaxPool's gradient (NHWC, channels innermost): dx = 0, then for every output (b, y, x, ch) the
  ;; dy value is added at the window's first maximum in row-major scan order (taps outside the input
  ;; skipped), which is where TF.js's own MaxPoolGrad puts it.
  (func (export "maxPoolGrad")
    (param $px i32) (param $pdy i32) (param $pdx i32) (param $b i32) (param $h i32) (param $w i32) (param $c i32)
    (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $pt i32) (param $pl i32)
    (param $oh i32) (param $ow i32)
    (local $bi i32) (local $y i32) (local $x i32) (local $ch i32) (local $r i32) (local $q i32)
    (local $iy i32) (local $ix i32) (local $best f32) (local $at i32) (local $v f32) (local $o i32) (local $base i32)
    (memory.fill (local.get $pdx) (i32.const 0) (i32.shl (i32.mul (i32.mul (i32.mul (local.get $b) (local.get $h)) (local.get $w)) (local.get $c)) (i32.const 2)))
    (local.set $o (local.get $pdy))
    (block $db (loop $lb
      (br_if $db (i32.ge_u (local.get $bi) (local.get $b)))
      (local.set $base (i32.mul (i32.mul (i32.mul (local.get $bi) (local.get $h)) (local.get $w)) (local.get $c)))
      (local.set $y (i32.const 0))
      (block $dy (loop $ly
        (br_if $dy (i32.ge_u (local.get $y) (local.get $oh)))
        (local.set $x (i32.const 0))
        (block $dx (loop $lx
          (br_if $dx (i32.ge_u (local.get $x) (local.get $ow)))
          (local.set $ch (i32.const 0))
          (block $dc (loop $lc
            (br_if $dc (i32.ge_u (local.get $ch) (local.get $c)))
            (local.set $best (f32.const -inf))
            (local.set $at (i32.const -1))
            (local.set $r (i32.const 0))
            (block $dr (loop $lr
              (br_if $dr (i32.ge_u (local.get $r) (local.get $kh)))
              (local.set $iy (i32.sub (i32.add (i32.mul (local.get $y) (local.get $sh)) (local.get $r)) (local.get $pt)))
              (if (i32.lt_u (local.get $iy) (local.get $h))
                (then
                  (local.set $q (i32.const 0))
                  (block $dq (loop $lq
                    (br_if $dq (i32.ge_u (local.get $q) (local.get $kw)))
                    (local.set $ix (i32.sub (i32.add (i32.mul (local.get $x) (local.get $sw)) (local.get $q)) (local.get $pl)))
                    (if (i32.lt_u (local.get $ix) (local.get $w))
                      (then
                        (local.set $v (f32.load (i32.add (local.get $px) (i32.shl
                          (i32.add (i32.add (local.get $base) (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $c))) (local.get $ch))
                          (i32.const 2)))))
                        (if (i32.or (f32.gt (local.get $v) (local.get $best)) (i32.lt_s (local.get $at) (i32.const 0)))
                          (then
                            (local.set $best (local.get $v))
                            (local.set $at (i32.add (i32.add (local.get $base) (i32.mul (i32.add (i32.mul (local.get $iy) (local.get $w)) (local.get $ix)) (local.get $c))) (local.get $ch)))))))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $lq)))))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $lr)))
            (if (i32.ge_s (local.get $at) (i32.const 0))
              (then
                (f32.store (i32.add (local.get $pdx) (i32.shl (local.get $at) (i32.const 2)))
                  (f32.add (f32.load (i32.add (local.get $pdx) (i32.shl (local.get $at) (i32.const 2)))) (f32.load (local.get $o))))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
            (br $lc)))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $lx)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $ly)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $lb))))

  ;; Per-channel sums over the rows of [n, c] (c a multiple of 4), in float64:
  ;;   acc[2j] += x[r, j] - mean[j]   (mean = 0 when pmean is 0; with dy: dy[r, j])
  ;; "sums": s1[j] = sum_r a[r, j], s2[j] = sum_r a[r, j] * (b[r, j] - mean[j]) where a = pa, b = pb.
  ;; With pa = pb = x and mean = the batch mean this is (n * mean', n * var); with pa = dy, pb = x it is
  ;; BatchNorm's two backward sums. s1, s2: float64 arrays of c, zeroed here.
  (func (export "sums")
    (param $pa i32) (param $pb i32) (param $pmean i32) (param $n i32) (param $c i32)
    (param $ps1 i32) (param $ps2 i32)
    (local $r i32) (local $j i32) (local $rowa i32) (local $rowb i32) (local $a v128) (local $d v128)
    (local $q1 i32) (local $q2 i32)
    (memory.fill (local.get $ps1) (i32.const 0) (i32.shl (local.get $c) (i32.const 3)))
    (memory.fill (local.get $ps2) (i32.const 0) (i32.shl (local.get $c) (i32.const 3)))
    (local.set $rowa (local.get $pa))
    (local.set $rowb (local.get $pb))
    (block $dr (loop $lr
      (br_if $dr (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $j (i32.const 0))
      (block $dj (loop $lj
        (br_if $dj (i32.ge_u (local.get $j) (local.get $c)))
        (local.set $a (v128.load (i32.add (local.get $rowa) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $d (f32x4.sub
          (v128.load (i32.add (local.get $rowb) (i32.shl (local.get $j) (i32.const 2))))
          (v128.load (i32.add (local.get $pmean) (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $q1 (i32.add (local.get $ps1) (i32.shl (local.get $j) (i32.const 3))))
        (local.set $q2 (i32.add (local.get $ps2) (i32.shl (local.get $j) (i32.const 3))))
        (v128.store (local.get $q1) (f64x2.add (v128.load (local.get $q1)) (f64x2.promote_low_f32x4 (local.get $a))))
        (v128.store offset=16 (local.get $q1) (f64x2.add (v128.load offset=16 (local.get $q1))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))))
        (v128.store (local.get $q2) (f64x2.add (v128.load (local.get $q2))
          (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $d)))))
        (v128.store offset=16 (local.get $q2) (f64x2.add (v128.load offset=16 (local.get $q2))
          (f64x2.mul
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d) (local.get $d))))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $lj)))
      (local.set $rowa (i32.add (local.get $rowa) (i32.shl (local.get $c) (i32.const 2))))
      (local.set $rowb (i32.add (local.get $rowb) (i32.shl (local.get $c) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $lr))))

  ;; out[r, j] = a[r, j] * k[j] + (b[r, j] - mean[j]) * u[j] + v[j] over [n, c] (c a multiple of 4).
  ;; BatchNorm forward (a = 0 via k = 0 is not needed: a = b = x, k = 0 gives (x - mean) * u + v) and
  ;; its input gradient (a = dy, b = x).
  (func (export "affine")
    (param $pa i32) (param $pb i32) (param $pout i32) (param $n i32) (param $c i32)
    (param $pmean i32) (param $pk i32) (param $pu i32) (param $pv i32)
    (local $i i32) (local $total i32) (local $j i32) (local $o i32) (local $co i32)
    (local.set $total (i32.mul (local.get $n) (local.get $c)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $total)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $co (i32.shl (local.get $j) (i32.const 2)))
      (v128.store (i32.add (local.get $pout) (local.get $o))
        (f32x4.add
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $pa) (local.get $o))) (v128.load (i32.add (local.get $pk) (local.get $co))))
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $pb) (local.get $o))) (v128.load (i32.add (local.get $pmean) (local.get $co))))
              (v128.load (i32.add (local.get $pu) (local.get $co)))))
          (v128.load (i32.add (local.get $pv) (local.get $co)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (if (i32.ge_u (local.get $j) (local.get $c)) (then (local.set $j (i32.const 0))))
      (br $l))))
)
