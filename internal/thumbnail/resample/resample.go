package resample

import (
	"image"
	"math"

	"github.com/disintegration/imaging"
)

// Resampler resizes small images with an imaging filter and imaging's
// weights, with three differences from imaging.Resize:
//
//   - the source may cover a fractional extent, as Pillow's resize box (the
//     last pixel of a reduced image may stand for only part of a cell);
//   - opaque images are filtered in 22-bit fixed point, as Pillow does,
//     which is within one level of imaging's float64 arithmetic; images with
//     transparency use imaging's alpha-weighted float64 code, byte for byte;
//   - buffers and weights are reused from call to call on one goroutine.
type Resampler struct {
	// Split is how many goroutines share each pass, by bands of rows (0
	// or 1: the caller's alone); the result is the same.
	Split int

	src    image.NRGBA // input converted to NRGBA
	tmp    image.NRGBA // after the horizontal pass
	dst    image.NRGBA
	acc    []int32 // one output row of fixed-point sums
	wx, wy weights
}

// fixedBits is the precision of fixed-point weights: 255 times the sum of
// the absolute weights (< 2 for every filter) stays below 1<<31.
const fixedBits = 22

// weights holds the taps of every output pixel of one pass.
type weights struct {
	dstSize, srcSize int
	extent           float64
	filter           *imaging.ResampleFilter
	start            []int     // start[i]:start[i+1] are output i's taps
	index            []int     // source pixel of each tap
	weight           []float64 // normalized weight of each tap
	fixed            []int32   // weight in fixed point (fixedBits)
}

// compute fills w for resampling srcSize pixels covering extent (in source
// pixels, <= srcSize) into dstSize pixels, unless w already holds them. The
// taps are imaging's precomputeWeights' when extent == srcSize.
func (w *weights) compute(dstSize, srcSize int, extent float64, f *imaging.ResampleFilter) {
	if w.dstSize == dstSize && w.srcSize == srcSize && w.extent == extent && w.filter == f && w.start != nil {
		return
	}
	w.dstSize, w.srcSize, w.extent, w.filter = dstSize, srcSize, extent, f
	w.start, w.index, w.weight, w.fixed = w.start[:0], w.index[:0], w.weight[:0], w.fixed[:0]

	du := extent / float64(dstSize)
	scale := max(du, 1)
	ru := math.Ceil(scale * f.Support)
	for v := range dstSize {
		w.start = append(w.start, len(w.index))
		fu := (float64(v)+0.5)*du - 0.5
		begin := max(int(math.Ceil(fu-ru)), 0)
		end := min(int(math.Floor(fu+ru)), srcSize-1)
		first := len(w.weight)
		var sum float64
		for u := begin; u <= end; u++ {
			if k := f.Kernel((float64(u) - fu) / scale); k != 0 {
				sum += k
				w.index = append(w.index, u)
				w.weight = append(w.weight, k)
			}
		}
		if sum != 0 {
			for i := first; i < len(w.weight); i++ {
				w.weight[i] /= sum
			}
		}
	}
	w.start = append(w.start, len(w.index))
	for _, k := range w.weight {
		w.fixed = append(w.fixed, int32(math.Round(k*(1<<fixedBits))))
	}
}

// Resize returns img (whose pixels cover ex x ey source pixels) resampled
// to w x h with filter f. The result is valid until the next call.
func (r *Resampler) Resize(img image.Image, w, h int, ex, ey float64, f *imaging.ResampleFilter) *image.NRGBA {
	src := r.toNRGBA(img)
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if f.Support <= 0 {
		return r.nearest(src, w, h, ex, ey)
	}
	horiz := sw != w || ex != float64(sw)
	vert := sh != h || ey != float64(sh)
	hrow, vrow := horizontalRows, verticalRows
	if opaque(img, src) {
		hrow, vrow = horizontalRowsFixed, verticalRowsFixed
	}
	hpass := func(dst, src *image.NRGBA, ws *weights) {
		inBands(src.Rect.Dy(), r.Split, func(lo, hi int) { hrow(dst, src, ws, lo, hi) })
	}
	vpass := func(dst, src *image.NRGBA, ws *weights) {
		inBands(ws.dstSize, r.Split, func(lo, hi int) {
			if lo > 0 {
				vrow(dst, src, ws, lo, hi, nil) // a band's own accumulator
				return
			}
			r.acc = vrow(dst, src, ws, lo, hi, r.acc)
		})
	}
	switch {
	case horiz && vert:
		r.wx.compute(w, sw, ex, f)
		r.wy.compute(h, sh, ey, f)
		hpass(setSize(&r.tmp, w, sh), src, &r.wx)
		vpass(setSize(&r.dst, w, h), &r.tmp, &r.wy)
	case horiz:
		r.wx.compute(w, sw, ex, f)
		hpass(setSize(&r.dst, w, h), src, &r.wx)
	case vert:
		r.wy.compute(h, sh, ey, f)
		vpass(setSize(&r.dst, w, h), src, &r.wy)
	default:
		copy(setSize(&r.dst, w, h).Pix, src.Pix)
	}
	return &r.dst
}

// opaque reports whether every pixel of src, the NRGBA form of img, is
// opaque.
func opaque(img image.Image, src *image.NRGBA) bool {
	switch img.(type) {
	case *image.YCbCr, *image.Gray:
		return true
	}
	for i := 3; i < len(src.Pix); i += 4 {
		if src.Pix[i] != 0xff {
			return false
		}
	}
	return true
}

// resizeHorizontalFixed is the horizontal pass for opaque images, in fixed
// point.
func horizontalRowsFixed(dst, src *image.NRGBA, ws *weights, y0, y1 int) {
	for y := y0; y < y1; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*src.Rect.Dx()]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+dst.Stride]
		for x := range ws.dstSize {
			r, g, b := int32(1<<(fixedBits-1)), int32(1<<(fixedBits-1)), int32(1<<(fixedBits-1))
			t0, t1 := ws.start[x], ws.start[x+1]
			idx, ks := ws.index[t0:t1], ws.fixed[t0:t1]
			for t, k := range ks {
				i := idx[t] * 4
				s := row[i : i+3 : i+3]
				r += int32(s[0]) * k
				g += int32(s[1]) * k
				b += int32(s[2]) * k
			}
			d := out[4*x : 4*x+4 : 4*x+4]
			d[0], d[1], d[2], d[3] = clipFixed(r), clipFixed(g), clipFixed(b), 0xff
		}
	}
}

// verticalRowsFixed is the vertical pass for opaque images, in fixed
// point, accumulating whole rows for memory locality, for output rows y0
// to y1 with the accumulator acc (grown as needed and returned).
func verticalRowsFixed(dst, src *image.NRGBA, ws *weights, y0, y1 int, acc []int32) []int32 {
	n := 4 * src.Rect.Dx()
	if cap(acc) < n {
		acc = make([]int32, n)
	}
	acc = acc[:n]
	for y := y0; y < y1; y++ {
		for i := range acc {
			acc[i] = 1 << (fixedBits - 1)
		}
		for t := ws.start[y]; t < ws.start[y+1]; t++ {
			k := ws.fixed[t]
			row := src.Pix[ws.index[t]*src.Stride:]
			row = row[:n]
			for i, v := range row {
				acc[i] += int32(v) * k
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+n]
		for i := range out {
			out[i] = clipFixed(acc[i])
		}
		for i := 3; i < n; i += 4 {
			out[i] = 0xff
		}
	}
	return acc
}

// clipFixed converts a fixed-point sum (rounding bias included) to a
// clipped 8-bit value.
func clipFixed(v int32) uint8 {
	v >>= fixedBits
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// setSize makes m a w x h image backed by its previous pixel buffer when
// large enough.
func setSize(m *image.NRGBA, w, h int) *image.NRGBA {
	m.Pix = grow(m.Pix, 4*w*h)
	m.Stride = 4 * w
	m.Rect = image.Rect(0, 0, w, h)
	return m
}

// horizontalRows is imaging's horizontal pass over rows y0 to y1:
// alpha-weighted sums of the taps of each row.
func horizontalRows(dst, src *image.NRGBA, ws *weights, y0, y1 int) {
	for y := y0; y < y1; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*src.Rect.Dx()]
		horizontalRow(dst.Pix[y*dst.Stride:y*dst.Stride+dst.Stride], row, ws)
	}
}

// horizontalRow is imaging's horizontal pass of one NRGBA row into out.
func horizontalRow(out, row []uint8, ws *weights) {
	for x := range ws.dstSize {
		var r, g, b, a float64
		for t := ws.start[x]; t < ws.start[x+1]; t++ {
			i := ws.index[t] * 4
			s := row[i : i+4 : i+4]
			aw := float64(s[3]) * ws.weight[t]
			r += float64(s[0]) * aw
			g += float64(s[1]) * aw
			b += float64(s[2]) * aw
			a += aw
		}
		putNRGBA(out[4*x:4*x+4:4*x+4], r, g, b, a)
	}
}

// putNRGBA stores an alpha-weighted sum as imaging does: the colour
// divided by the alpha, each rounded and clamped; transparent as zeros.
func putNRGBA(d []uint8, r, g, b, a float64) {
	if a == 0 {
		d[0], d[1], d[2], d[3] = 0, 0, 0, 0
		return
	}
	aInv := 1 / a
	d[0] = clampRound(r * aInv)
	d[1] = clampRound(g * aInv)
	d[2] = clampRound(b * aInv)
	d[3] = clampRound(a)
}

// verticalRows is imaging's vertical pass for output rows y0 to y1 (acc
// is not used).
func verticalRows(dst, src *image.NRGBA, ws *weights, y0, y1 int, acc []int32) []int32 {
	for y := y0; y < y1; y++ {
		verticalRow(dst.Pix[y*dst.Stride:y*dst.Stride+dst.Stride], src, ws, y)
	}
	return acc
}

// verticalRow is output row y of imaging's vertical pass over src: each
// pixel's sum runs over its taps in imaging's order, so computing the
// output row by row gives imaging's column-by-column result.
func verticalRow(out []uint8, src *image.NRGBA, ws *weights, y int) {
	for x := range src.Rect.Dx() {
		var r, g, b, a float64
		for t := ws.start[y]; t < ws.start[y+1]; t++ {
			i := ws.index[t]*src.Stride + 4*x
			s := src.Pix[i : i+4 : i+4]
			aw := float64(s[3]) * ws.weight[t]
			r += float64(s[0]) * aw
			g += float64(s[1]) * aw
			b += float64(s[2]) * aw
			a += aw
		}
		putNRGBA(out[4*x:4*x+4:4*x+4], r, g, b, a)
	}
}

// nearest samples the source pixel under each output pixel's centre.
func (r *Resampler) nearest(src *image.NRGBA, w, h int, ex, ey float64) *image.NRGBA {
	dst := setSize(&r.dst, w, h)
	dx, dy := ex/float64(w), ey/float64(h)
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	for y := range h {
		sy := min(int((float64(y)+0.5)*dy), sh-1)
		for x := range w {
			sx := min(int((float64(x)+0.5)*dx), sw-1)
			copy(dst.Pix[y*dst.Stride+4*x:y*dst.Stride+4*x+4], src.Pix[sy*src.Stride+4*sx:])
		}
	}
	return dst
}

// clampRound rounds and clamps x to a uint8, as imaging does.
func clampRound(x float64) uint8 {
	v := int64(x + 0.5)
	if v > 255 {
		return 255
	}
	if v > 0 {
		return uint8(v)
	}
	return 0
}

// toNRGBA converts img to non-premultiplied RGBA with imaging's conversion
// formulas, into a reused buffer (or img itself when it is NRGBA at the
// origin).
func (r *Resampler) toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	if m, ok := img.(*image.NRGBA); ok && b.Min == (image.Point{}) {
		return m
	}
	w, h := b.Dx(), b.Dy()
	dst := setSize(&r.src, w, h)
	switch m := img.(type) {
	case *image.YCbCr:
		inBands(h, r.Split, func(y0, y1 int) {
			for y := y0; y < y1; y++ {
				ycbcrRow(dst.Pix[y*dst.Stride:y*dst.Stride+4*w], m, b.Min.Y+y, b.Min.X, b.Max.X)
			}
		})
	case *image.Gray:
		for y := range h {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
			for x := range w {
				c := row[x]
				d := out[4*x : 4*x+4 : 4*x+4]
				d[0], d[1], d[2], d[3] = c, c, c, 0xff
			}
		}
	case *image.RGBA:
		for y := range h {
			rgbaRow(dst.Pix[y*dst.Stride:y*dst.Stride+4*w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):], w)
		}
	default:
		c := imaging.Clone(img) // any other type, by imaging's own scanner
		copy(dst.Pix, c.Pix)
	}
	return dst
}

// rgbaRow converts w premultiplied RGBA pixels of row to NRGBA in out, as
// imaging does.
func rgbaRow(out, row []uint8, w int) {
	for x := range w {
		s := row[4*x : 4*x+4 : 4*x+4]
		d := out[4*x : 4*x+4 : 4*x+4]
		switch a := s[3]; a {
		case 0:
			d[0], d[1], d[2], d[3] = 0, 0, 0, 0
		case 0xff:
			d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 0xff
		default:
			a16 := uint16(a)
			d[0] = uint8(uint16(s[0]) * 0xff / a16)
			d[1] = uint8(uint16(s[1]) * 0xff / a16)
			d[2] = uint8(uint16(s[2]) * 0xff / a16)
			d[3] = a
		}
	}
}

// ycbcrRow converts pixels x0..x1 of row y of m to NRGBA in out, with
// imaging's fixed-point formula (nearest chroma sample).
func ycbcrRow(out []uint8, m *image.YCbCr, y, x0, x1 int) {
	yi := m.YOffset(x0, y)
	// Chroma columns per luma column, for images at the origin.
	shift := -1
	if m.Rect.Min == (image.Point{}) {
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio440:
			shift = 0
		case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
			shift = 1
		case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
			shift = 2
		}
	}
	c0 := m.COffset(0, y)
	for x := x0; x < x1; x++ {
		var ci int
		if shift >= 0 {
			ci = c0 + x>>shift
		} else {
			ci = m.COffset(x, y)
		}
		yy1 := int32(m.Y[yi]) * 0x10101
		cb1 := int32(m.Cb[ci]) - 128
		cr1 := int32(m.Cr[ci]) - 128
		d := out[4*(x-x0) : 4*(x-x0)+4 : 4*(x-x0)+4]
		d[0] = clip16(yy1 + 91881*cr1)
		d[1] = clip16(yy1 - 22554*cb1 - 46802*cr1)
		d[2] = clip16(yy1 + 116130*cb1)
		d[3] = 0xff
		yi++
	}
}

// clip16 returns v>>16 clipped to [0, 255].
func clip16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
