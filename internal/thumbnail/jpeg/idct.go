// Portions of this file are derived from Go's image/jpeg package,
// Copyright 2025 The Go Authors, used under the BSD-style license in
// GO_LICENSE: the 8x8 inverse DCT below is image/jpeg's, so that scale 1
// decodes exactly as image/jpeg does.

package jpeg

import "math"

// dctBox implements a 3-multiply, 3-add rotation+scaling.
func dctBox(x0, x1, kcos, ksin int32) (y0, y1 int32) {
	// y0 = x0*kcos + x1*ksin
	// y1 = -x0*ksin + x1*kcos
	ksum := kcos * (x0 + x1)
	y0 = ksum + (ksin-kcos)*x1
	y1 = ksum - (kcos+ksin)*x0
	return y0, y1
}

// Fixed-point constants with 60 fractional bits; dctFix rounds them.
const (
	dctCos1         = 1130768441178740757 // fix cos 1*pi/16
	dctSin1         = 224923827593068887  // fix sin 1*pi/16
	dctCos3         = 958619196450722178  // fix cos 3*pi/16
	dctSin3         = 640528868967736374  // fix sin 3*pi/16
	dctSqrt2inv     = 815238614083298888  // fix 1/sqrt 2
	dctSqrt2invCos6 = 311978311033955632  // fix (1/sqrt 2)*cos 6*pi/16
	dctSqrt2invSin6 = 753182269664427492  // fix (1/sqrt 2)*sin 6*pi/16
)

func dctFix(x uint64, bits int) int32 {
	return int32((x + (1 << (59 - bits))) >> (60 - bits))
}

// idct implements the inverse DCT of b, dequantized, in natural order.
// Outputs are the sample values minus 128.
func idct(b *jblock) {
	// A 2D IDCT is a 1D IDCT on rows followed by columns.
	idctRows(b)
	idctCols(b)
}

// idctRows applies the 1D IDCT to the rows of b.
// Inputs are UQ8.0; outputs are Q9.20.
func idctRows(b *jblock) {
	for i := range 8 {
		x := b[8*i : 8*i+8 : 8*i+8]
		x0 := x[0]
		x7 := x[1]
		x2 := x[2]
		x5 := x[3]
		x1 := x[4]
		x6 := x[5]
		x3 := x[6]
		x4 := x[7]

		// Run FDCT backward.
		// Independent operations have been reordered somewhat
		// to make precision tracking easier.
		//
		// Note that “x0, x1 = x0+x1, x0-x1” is now a reverse butterfly
		// and carries with it an implicit divide by two: the extra bit
		// is added to the precision, not the value size.

		// x[01234567] are UQ8.0 in [0, 255].

		// Stages 4, 3, 2: x0, x1, x2, x3.

		x0 <<= 17
		x1 <<= 17
		// x0, x1 now UQ8.17.
		x0, x1 = x0+x1, x0-x1
		// x0 now UQ8.18 in [0, 255].
		// x1 now Q7.18 in [-127½, 127½].

		// Note: (1/sqrt 2)*((cos 6*pi/16)+(sin 6*pi/16)) < 0.924, so no new high bit.
		x2, x3 = dctBox(x2, x3, dctFix(dctSqrt2invCos6, 18), -dctFix(dctSqrt2invSin6, 18))
		// x[23] now Q8.18 in [-236, 236].
		x1, x2 = x1+x2, x1-x2
		x0, x3 = x0+x3, x0-x3
		// x[0123] now Q8.19 in [-246, 246].

		// Stages 4, 3, 2: x4, x5, x6, x7.

		x4 <<= 7
		x7 <<= 7
		// x[47] now UQ8.7
		x7, x4 = x7+x4, x7-x4
		// x7 now UQ8.8 in [0, 255].
		// x4 now Q7.8 in [-127½, 127½].

		x6 = x6 * dctFix(dctSqrt2inv, 8)
		x5 = x5 * dctFix(dctSqrt2inv, 8)
		// x[56] now UQ8.8 in [0, 181].
		// Note that 1/√2 has five 0s in its binary representation after
		// the 8th bit, so this multipliy is actually producing 12 bits of precision.

		x7, x5 = x7+x5, x7-x5
		x4, x6 = x4+x6, x4-x6
		// x[4567] now Q8.9 in [-218, 218].

		x4, x7 = dctBox(x4>>2, x7>>2, dctFix(dctCos3, 12), -dctFix(dctSin3, 12))
		x5, x6 = dctBox(x5>>2, x6>>2, dctFix(dctCos1, 12), -dctFix(dctSin1, 12))
		// x[4567] now Q9.19 in [-303, 303].

		// Stage 1.

		x0, x7 = x0+x7, x0-x7
		x1, x6 = x1+x6, x1-x6
		x2, x5 = x2+x5, x2-x5
		x3, x4 = x3+x4, x3-x4
		// x[01234567] now Q9.20 in [-275, 275].

		// Note: we don't need all 20 bits of “precision”,
		// but it is faster to let idctCols shift it away as part
		// of other operations rather than downshift here.

		x[0] = x0
		x[1] = x1
		x[2] = x2
		x[3] = x3
		x[4] = x4
		x[5] = x5
		x[6] = x6
		x[7] = x7
	}
}

// idctCols applies the 1D IDCT to the columns of b.
// Inputs are Q9.20.
// Outputs are Q10.3. That is, the result is the IDCT*8.
func idctCols(b *jblock) {
	for i := range 8 {
		x0 := b[0*8+i]
		x7 := b[1*8+i]
		x2 := b[2*8+i]
		x5 := b[3*8+i]
		x1 := b[4*8+i]
		x6 := b[5*8+i]
		x3 := b[6*8+i]
		x4 := b[7*8+i]

		// x[012345678] are Q9.20.

		// Start by adding 0.5 to x0 (the incoming DC signal).
		// The butterflies will add it to all the other values,
		// and then the final shifts will round properly.
		x0 += 1 << 19

		// Stages 4, 3, 2: x0, x1, x2, x3.

		x0, x1 = (x0+x1)>>2, (x0-x1)>>2
		// x[01] now Q9.19.
		// Note: (1/sqrt 2)*((cos 6*pi/16)+(sin 6*pi/16)) < 1, so no new high bit.
		x2, x3 = dctBox(x2>>13, x3>>13, dctFix(dctSqrt2invCos6, 12), -dctFix(dctSqrt2invSin6, 12))
		// x[0123] now Q9.19.

		x1, x2 = x1+x2, x1-x2
		x0, x3 = x0+x3, x0-x3
		// x[0123] now Q9.20.

		// Stages 4, 3, 2: x4, x5, x6, x7.

		x7, x4 = x7+x4, x7-x4
		// x[47] now Q9.21.

		x5 = (x5 >> 13) * dctFix(dctSqrt2inv, 14)
		x6 = (x6 >> 13) * dctFix(dctSqrt2inv, 14)
		// x[56] now Q9.21.

		x7, x5 = x7+x5, x7-x5
		x4, x6 = x4+x6, x4-x6
		// x[4567] now Q9.22.

		x4, x7 = dctBox(x4>>14, x7>>14, dctFix(dctCos3, 12), -dctFix(dctSin3, 12))
		x5, x6 = dctBox(x5>>14, x6>>14, dctFix(dctCos1, 12), -dctFix(dctSin1, 12))
		// x[4567] now Q10.20.

		x0, x7 = x0+x7, x0-x7
		x1, x6 = x1+x6, x1-x6
		x2, x5 = x2+x5, x2-x5
		x3, x4 = x3+x4, x3-x4
		// x[01234567] now Q10.21.

		x0 >>= 18
		x1 >>= 18
		x2 >>= 18
		x3 >>= 18
		x4 >>= 18
		x5 >>= 18
		x6 >>= 18
		x7 >>= 18
		// x[01234567] now Q10.3.

		b[0*8+i] = x0
		b[1*8+i] = x1
		b[2*8+i] = x2
		b[3*8+i] = x3
		b[4*8+i] = x4
		b[5*8+i] = x5
		b[6*8+i] = x6
		b[7*8+i] = x7
	}
}

// Reduced-size inverse DCTs. An N-point output (N = 4 or 2) samples the
// block's continuous cosine reconstruction, truncated to its N lowest
// frequencies, at the centres of N equal cells:
//
//	out(X, Y) = Σ_u Σ_v a(u) a(v) F(v, u) cos((2X+1)uπ/2N) cos((2Y+1)vπ/2N)
//
// with a(0) = 1/√8 and a(u) = 1/2 otherwise, so that a flat block gives the
// same value at every scale. This is libjpeg's scaled decoding.

// idct4Bits is the fixed-point precision of idct4Table.
const idct4Bits = 13

// idct4Table[X][u] is a(u) cos((2X+1)uπ/8) in Q.13.
var idct4Table = func() (t [4][4]int32) {
	for x := range 4 {
		for u := range 4 {
			a := 0.5
			if u == 0 {
				a = 1 / math.Sqrt(8)
			}
			t[x][u] = int32(math.Round(a * math.Cos(float64((2*x+1)*u)*math.Pi/8) * (1 << idct4Bits)))
		}
	}
	return t
}()

// idct4 dequantizes the 4x4 lowest-frequency coefficients of b with q and
// stores the 4x4 reduced block at dst.
func idct4(b *jblock, q *[64]int32, dst []uint8, stride int) {
	var tmp [4][4]int32 // tmp[v][X], Q.3
	for v := range 4 {
		f0 := b[8*v+0] * q[8*v+0]
		f1 := b[8*v+1] * q[8*v+1]
		f2 := b[8*v+2] * q[8*v+2]
		f3 := b[8*v+3] * q[8*v+3]
		for x := range 4 {
			t := &idct4Table[x]
			s := t[0]*f0 + t[1]*f1 + t[2]*f2 + t[3]*f3
			tmp[v][x] = (s + 1<<(idct4Bits-4)) >> (idct4Bits - 3)
		}
	}
	for y := range 4 {
		t := &idct4Table[y]
		row := dst[y*stride : y*stride+4 : y*stride+4]
		for x := range 4 {
			s := t[0]*tmp[0][x] + t[1]*tmp[1][x] + t[2]*tmp[2][x] + t[3]*tmp[3][x]
			row[x] = level((s + 1<<(idct4Bits+2)) >> (idct4Bits + 3))
		}
	}
}

// idct2 is idct4 for the 2x2 lowest frequencies: a(u) cos((2X+1)uπ/4) is
// ±1/√8 for every term, so out = (F00 ± F01 ± F10 ± F11) / 8.
func idct2(b *jblock, q *[64]int32, dst []uint8, stride int) {
	f00 := b[0] * q[0]
	f01 := b[1] * q[1]
	f10 := b[8] * q[8]
	f11 := b[9] * q[9]
	s0, d0 := f00+f10, f00-f10 // column sums for rows Y=0 and Y=1
	s1, d1 := f01+f11, f01-f11
	dst[0] = level((s0 + s1 + 4) >> 3)
	dst[1] = level((s0 - s1 + 4) >> 3)
	dst[stride] = level((d0 + d1 + 4) >> 3)
	dst[stride+1] = level((d0 - d1 + 4) >> 3)
}
