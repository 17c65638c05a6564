// Package resample shrinks decoded images the way Pillow's Image.thumbnail
// does: a box reduction by integer factors while the image stays at least
// ReducingGap times the target, then a resampling filter with imaging's
// weights over a possibly fractional source extent. Both keep their buffers
// from call to call, so each value serves one goroutine.
package resample

import (
	"image"
	"sync"
)

// ReducingGap is Pillow's reducing_gap: the box reduction stops while the
// image is still at least this many times the target size.
const ReducingGap = 2

// Reducer box-reduces images by integer factors, reusing its buffers from
// call to call. The returned images alias those buffers and are valid until
// the next call.
type Reducer struct {
	// Split is how many goroutines share each reduction, by bands of
	// output rows (0 or 1: the caller's alone); the result is the same.
	Split int
	// Cell sums. A cell holds at most MaxCell samples, so 8-bit sums fit 32
	// bits; alpha-weighted NRGBA sums need 64.
	acc   []uint32
	acc64 []uint64
	pix   [3][]uint8
	ycc   image.YCbCr
	gray  image.Gray
	rgba  image.RGBA
	nrgb  image.NRGBA
}

// grow returns buf resized to n bytes, reallocating only when it is too
// small.
func grow(buf []uint8, n int) []uint8 {
	if cap(buf) < n {
		return make([]uint8, n)
	}
	return buf[:n]
}

func (r *Reducer) accumulator(n int) []uint32 {
	if cap(r.acc) < n {
		r.acc = make([]uint32, n)
	}
	return r.acc[:n]
}

// MaxCell is the largest kx*ky Reduce accepts: 8-bit sums of that many
// samples, rounded, fit 32 bits.
const MaxCell = 1 << 24

// Reduce returns img box-reduced by kx x ky: every output pixel is the mean
// of a kx x ky block; blocks cut by the right and bottom edges average the
// pixels they have (as Pillow's Image.reduce). ok is false when img's type
// has no direct reduction, or kx*ky exceeds MaxCell.
func (r *Reducer) Reduce(img image.Image, kx, ky int) (out image.Image, ok bool) {
	if img.Bounds().Min != (image.Point{}) || kx < 1 || ky < 1 || int64(kx)*int64(ky) > MaxCell {
		return nil, false
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return r.reduceYCbCr(m, kx, ky)
	case *image.Gray:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		dw, dh := ceilDiv(w, kx), ceilDiv(h, ky)
		r.pix[0] = grow(r.pix[0], dw*dh)
		r.inBands(r.pix[0], dw, m.Pix, m.Stride, h, ky, func(rr *Reducer, dst, src []uint8, h int) {
			rr.reducePlane(dst, dw, src, m.Stride, w, h, kx, ky)
		})
		r.gray = image.Gray{Pix: r.pix[0], Stride: dw, Rect: image.Rect(0, 0, dw, dh)}
		return &r.gray, true
	case *image.RGBA:
		// Premultiplied: a plain mean of every channel is correct.
		w, h := m.Rect.Dx(), m.Rect.Dy()
		dw, dh := ceilDiv(w, kx), ceilDiv(h, ky)
		r.pix[0] = grow(r.pix[0], 4*dw*dh)
		r.inBands(r.pix[0], 4*dw, m.Pix, m.Stride, h, ky, func(rr *Reducer, dst, src []uint8, h int) {
			rr.reducePlane4(dst, 4*dw, src, m.Stride, w, h, kx, ky)
		})
		r.rgba = image.RGBA{Pix: r.pix[0], Stride: 4 * dw, Rect: image.Rect(0, 0, dw, dh)}
		return &r.rgba, true
	case *image.NRGBA:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		dw, dh := ceilDiv(w, kx), ceilDiv(h, ky)
		r.pix[0] = grow(r.pix[0], 4*dw*dh)
		r.inBands(r.pix[0], 4*dw, m.Pix, m.Stride, h, ky, func(rr *Reducer, dst, src []uint8, h int) {
			rr.reduceNRGBA(dst, 4*dw, src, m.Stride, w, h, kx, ky)
		})
		r.nrgb = image.NRGBA{Pix: r.pix[0], Stride: 4 * dw, Rect: image.Rect(0, 0, dw, dh)}
		return &r.nrgb, true
	}
	return nil, false
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// inBands reduces a plane of h source rows by ky rows a cell: f reduces
// the rows it is given into the output rows it is given. With Split above
// one, bands of whole output rows go to that many goroutines (this one
// among them), each with accumulators of its own.
func (r *Reducer) inBands(dst []uint8, dstStride int, src []uint8, srcStride, h, ky int, f func(rr *Reducer, dst, src []uint8, h int)) {
	inBands(ceilDiv(h, ky), r.Split, func(lo, hi int) {
		rr := r
		if lo > 0 {
			rr = &Reducer{}
		}
		f(rr, dst[lo*dstStride:], src[lo*ky*srcStride:], min(h, hi*ky)-lo*ky)
	})
}

// inBands calls f for contiguous bands [lo, hi) covering [0, n), on split
// goroutines (the caller's is one; the first band is its): all of them
// when split is 0 or 1.
func inBands(n, split int, f func(lo, hi int)) {
	k := min(max(split, 1), n)
	if k <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 1; i < k; i++ {
		lo, hi := n*i/k, n*(i+1)/k
		wg.Go(func() { f(lo, hi) })
	}
	f(0, n/k)
	wg.Wait()
}

// chromaSize returns the size of the chroma planes of a w x h image.
func chromaSize(ratio image.YCbCrSubsampleRatio, w, h int) (cw, ch int, ok bool) {
	switch ratio {
	case image.YCbCrSubsampleRatio444:
		return w, h, true
	case image.YCbCrSubsampleRatio422:
		return ceilDiv(w, 2), h, true
	case image.YCbCrSubsampleRatio420:
		return ceilDiv(w, 2), ceilDiv(h, 2), true
	case image.YCbCrSubsampleRatio440:
		return w, ceilDiv(h, 2), true
	case image.YCbCrSubsampleRatio411:
		return ceilDiv(w, 4), h, true
	case image.YCbCrSubsampleRatio410:
		return ceilDiv(w, 4), ceilDiv(h, 2), true
	}
	return 0, 0, false
}

// reduceYCbCr reduces the three planes separately, keeping the subsampling
// ratio: since ceil(ceil(w/s)/k) == ceil(ceil(w/k)/s), the reduced chroma
// planes have exactly the size the reduced luma plane calls for.
func (r *Reducer) reduceYCbCr(m *image.YCbCr, kx, ky int) (image.Image, bool) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	cw, ch, ok := chromaSize(m.SubsampleRatio, w, h)
	if !ok {
		return nil, false
	}
	dw, dh := ceilDiv(w, kx), ceilDiv(h, ky)
	dcw, dch := ceilDiv(cw, kx), ceilDiv(ch, ky)
	r.pix[0] = grow(r.pix[0], dw*dh)
	r.pix[1] = grow(r.pix[1], dcw*dch)
	r.pix[2] = grow(r.pix[2], dcw*dch)
	r.inBands(r.pix[0], dw, m.Y, m.YStride, h, ky, func(rr *Reducer, dst, src []uint8, h int) {
		rr.reducePlane(dst, dw, src, m.YStride, w, h, kx, ky)
	})
	for i, plane := range [][]uint8{m.Cb, m.Cr} {
		r.inBands(r.pix[1+i], dcw, plane, m.CStride, ch, ky, func(rr *Reducer, dst, src []uint8, h int) {
			rr.reducePlane(dst, dcw, src, m.CStride, cw, h, kx, ky)
		})
	}
	r.ycc = image.YCbCr{
		Y: r.pix[0], Cb: r.pix[1], Cr: r.pix[2],
		YStride: dw, CStride: dcw,
		SubsampleRatio: m.SubsampleRatio,
		Rect:           image.Rect(0, 0, dw, dh),
	}
	return &r.ycc, true
}

// reducePlane box-reduces the w x h single-channel plane src into dst, which
// has room for ceil(h/ky) rows of dstStride bytes.
func (r *Reducer) reducePlane(dst []uint8, dstStride int, src []uint8, srcStride, w, h, kx, ky int) {
	dw := ceilDiv(w, kx)
	fullW := w / kx
	acc := r.accumulator(dw)
	for y0, dy := 0, 0; y0 < h; y0, dy = y0+ky, dy+1 {
		y1 := min(y0+ky, h)
		clear(acc)
		for y := y0; y < y1; y++ {
			row := src[y*srcStride : y*srcStride+w]
			switch kx {
			case 1:
				for x, v := range row {
					acc[x] += uint32(v)
				}
			case 2:
				a := acc[:fullW]
				for x := range a {
					a[x] += uint32(row[2*x]) + uint32(row[2*x+1])
				}
			default:
				a := acc[:fullW]
				for x := range a {
					blk := row[x*kx : x*kx+kx]
					var s uint32
					for _, v := range blk {
						s += uint32(v)
					}
					a[x] += s
				}
			}
			if fullW < dw {
				var s uint32
				for _, v := range row[fullW*kx:] {
					s += uint32(v)
				}
				acc[fullW] += s
			}
		}
		out := dst[dy*dstStride : dy*dstStride+dw]
		rows := uint32(y1 - y0)
		full := rows * uint32(kx)
		for x := range out[:fullW] {
			out[x] = uint8((acc[x] + full/2) / full)
		}
		if fullW < dw {
			n := rows * uint32(w-fullW*kx)
			out[fullW] = uint8((acc[fullW] + n/2) / n)
		}
	}
}

// reducePlane4 is reducePlane for four interleaved channels (w pixels per
// row, 4*w bytes).
func (r *Reducer) reducePlane4(dst []uint8, dstStride int, src []uint8, srcStride, w, h, kx, ky int) {
	dw := ceilDiv(w, kx)
	acc := r.accumulator(4 * dw)
	for y0, dy := 0, 0; y0 < h; y0, dy = y0+ky, dy+1 {
		y1 := min(y0+ky, h)
		clear(acc)
		for y := y0; y < y1; y++ {
			row := src[y*srcStride : y*srcStride+4*w]
			for dx := range dw {
				x0, x1 := dx*kx, min(dx*kx+kx, w)
				var s0, s1, s2, s3 uint32
				for i := 4 * x0; i < 4*x1; i += 4 {
					p := row[i : i+4 : i+4]
					s0 += uint32(p[0])
					s1 += uint32(p[1])
					s2 += uint32(p[2])
					s3 += uint32(p[3])
				}
				a := acc[4*dx : 4*dx+4 : 4*dx+4]
				a[0] += s0
				a[1] += s1
				a[2] += s2
				a[3] += s3
			}
		}
		out := dst[dy*dstStride : dy*dstStride+4*dw]
		rows := uint32(y1 - y0)
		for dx := range dw {
			n := rows * uint32(min(dx*kx+kx, w)-dx*kx)
			for c := 4 * dx; c < 4*dx+4; c++ {
				out[c] = uint8((acc[c] + n/2) / n)
			}
		}
	}
}

// reduceNRGBA reduces non-premultiplied pixels, weighting colours by alpha
// so that transparent pixels do not bleed their colour.
func (r *Reducer) reduceNRGBA(dst []uint8, dstStride int, src []uint8, srcStride, w, h, kx, ky int) {
	dw := ceilDiv(w, kx)
	if cap(r.acc64) < 4*dw {
		r.acc64 = make([]uint64, 4*dw)
	}
	acc := r.acc64[:4*dw]
	for y0, dy := 0, 0; y0 < h; y0, dy = y0+ky, dy+1 {
		y1 := min(y0+ky, h)
		clear(acc)
		for y := y0; y < y1; y++ {
			row := src[y*srcStride : y*srcStride+4*w]
			for dx := range dw {
				x0, x1 := dx*kx, min(dx*kx+kx, w)
				var s0, s1, s2, s3 uint64
				for i := 4 * x0; i < 4*x1; i += 4 {
					p := row[i : i+4 : i+4]
					a := uint64(p[3])
					s0 += uint64(p[0]) * a
					s1 += uint64(p[1]) * a
					s2 += uint64(p[2]) * a
					s3 += a
				}
				a := acc[4*dx : 4*dx+4 : 4*dx+4]
				a[0] += s0
				a[1] += s1
				a[2] += s2
				a[3] += s3
			}
		}
		out := dst[dy*dstStride : dy*dstStride+4*dw]
		rows := uint64(y1 - y0)
		for dx := range dw {
			n := rows * uint64(min(dx*kx+kx, w)-dx*kx)
			a := acc[4*dx : 4*dx+4 : 4*dx+4]
			o := out[4*dx : 4*dx+4 : 4*dx+4]
			if a[3] == 0 {
				o[0], o[1], o[2], o[3] = 0, 0, 0, 0
				continue
			}
			o[0] = uint8((a[0] + a[3]/2) / a[3])
			o[1] = uint8((a[1] + a[3]/2) / a[3])
			o[2] = uint8((a[2] + a[3]/2) / a[3])
			o[3] = uint8((a[3] + n/2) / n)
		}
	}
}
