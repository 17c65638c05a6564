package thumbnail

import (
	"bytes"
	"errors"
	"image"
	stdjpeg "image/jpeg"
	"image/png"
	"time"

	"github.com/disintegration/imaging"
	"github.com/scalebench/scalebench/internal/thumbnail/jpeg"
	"github.com/scalebench/scalebench/internal/thumbnail/resample"
)

// pngLevel is the compression level of the fast method's PNG encoder.
// BestSpeed encodes a 64x48 thumbnail about a third faster than the default
// level (which clears 640 KiB of match tables per image) for 3% more bytes;
// see BenchmarkEncode.
const pngLevel = png.BestSpeed

// fitFast decodes data (at a reduced DCT scale for JPEG), box-reduces the
// pixels while they stay at least twice the target size, then applies the
// filter to the small image.
func (t *Thumbnailer) fitFast(data []byte, name string, tm *Timings) (*image.NRGBA, error) {
	start := time.Now()
	img, srcW, srcH, scale, err := t.decodeFast(data)
	tm.Decode = time.Since(start)
	if err != nil {
		return nil, &StageError{Stage: StageDecode, Subject: name, Err: err}
	}

	start = time.Now()
	w, h := FitSize(srcW, srcH, t.opts.Width, t.opts.Height)
	s := float64(scale)
	thumb := t.shrink(img, w, h, float64(srcW)/s, float64(srcH)/s)
	tm.Resize = time.Since(start)
	return thumb, nil
}

// decodeFast decodes data, JPEG at the smallest DCT scale that keeps the
// image at least twice the thumbnail size. It returns the decoded image, the
// full size of the source and the scale denominator it was decoded at.
func (t *Thumbnailer) decodeFast(data []byte) (img image.Image, srcW, srcH, scale int, err error) {
	if isJPEG(data) {
		img, srcW, srcH, err = t.jd.Decode(data, func(f jpeg.Frame) (int, error) {
			// The budget of a full-scale decode, as for the naive
			// method, so that both accept the same images.
			if err := checkCost(f.Width, f.Height, "jpeg", jpegBytesPerPixel(f)); err != nil {
				return 0, err
			}
			tw, th := FitSize(f.Width, f.Height, t.opts.Width, t.opts.Height)
			scale = jpegScale(f.Width, f.Height, tw, th)
			return scale, nil
		})
		if !errors.Is(err, jpeg.ErrFallback) {
			return img, srcW, srcH, scale, err
		}
		// CMYK and YCCK: full-scale decode by image/jpeg.
		img, err = stdjpeg.Decode(bytes.NewReader(data))
	} else if _, _, err = checkBudget(data); err == nil {
		img, _, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, 0, 0, 0, err
	}
	b := img.Bounds()
	return img, b.Dx(), b.Dy(), 1, nil
}

func isJPEG(data []byte) bool { return len(data) >= 2 && data[0] == 0xff && data[1] == 0xd8 }

// jpegScale returns the DCT scale denominator (1, 2, 4 or 8) for decoding a
// srcW x srcH JPEG whose thumbnail is dstW x dstH: the largest that keeps
// both sides at least resample.ReducingGap times the thumbnail. (Pillow's draft
// measures against the requested box rather than the thumbnail, and so
// sometimes decodes one scale larger, e.g. 1/2 instead of 1/4 for 640x480
// into 64x64; the box reduction that follows brings both to 160x120.)
func jpegScale(srcW, srcH, dstW, dstH int) int {
	k := min(srcW/(dstW*resample.ReducingGap), srcH/(dstH*resample.ReducingGap))
	for _, s := range []int{8, 4, 2} {
		if k >= s {
			return s
		}
	}
	return 1
}

// shrink resizes img, whose pixels cover ex x ey source pixels (fewer than
// its size when its last column or row is partial), to w x h: box reduction
// while the image stays at least twice the target, then the filter. The
// nearest filter skips the reduction, as in Pillow.
func (t *Thumbnailer) shrink(img image.Image, w, h int, ex, ey float64) *image.NRGBA {
	if t.filter.Support > 0 {
		kx := max(int(ex/float64(w*resample.ReducingGap)), 1)
		ky := max(int(ey/float64(h*resample.ReducingGap)), 1)
		if kx > 1 || ky > 1 {
			r, ok := t.red.Reduce(img, kx, ky)
			if !ok {
				r, ok = t.red.Reduce(imaging.Clone(img), kx, ky)
			}
			if ok {
				img = r
				ex, ey = ex/float64(kx), ey/float64(ky)
			}
		}
	}
	return t.rs.Resize(img, w, h, ex, ey, &t.filter)
}
