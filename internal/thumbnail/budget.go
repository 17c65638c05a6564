package thumbnail

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"

	"github.com/scalebench/scalebench/internal/thumbnail/jpeg"
)

// The budget of one decode. Both methods read the image header and refuse
// the image before any pixel memory is allocated when either is exceeded,
// so that a small file claiming a huge size (a hostile server's 4 KB
// progressive JPEG claiming 8192x8192 would need about 1 GB) cannot take
// the worker's memory.
const (
	// MaxPixels is the largest source image, width times height.
	MaxPixels = 1 << 26
	// MaxDecodeBytes bounds the memory a decode is estimated to need from
	// the header: the pixel planes and, for progressive JPEGs, the DCT
	// coefficients the decoder keeps until the last scan (see decodeBytes).
	MaxDecodeBytes = 256 << 20
)

// ErrTooLarge marks a source image refused by the decode budget.
var ErrTooLarge = errors.New("image too large")

// checkBudget reads the header of data and reports an error wrapping
// ErrTooLarge if decoding it would exceed MaxPixels or MaxDecodeBytes, or
// the header's error if it cannot be read. It returns the header and the
// estimated decode cost a pixel.
func checkBudget(data []byte) (cfg image.Config, perPixel int64, err error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return cfg, 0, err
	}
	perPixel = decodeBytesPerPixel(data, format, cfg.ColorModel)
	return cfg, perPixel, checkCost(cfg.Width, cfg.Height, format, perPixel)
}

// checkCost reports an error wrapping ErrTooLarge if a w x h image of the
// named format that costs perPixel bytes per pixel to decode exceeds the
// budget.
func checkCost(w, h int, format string, perPixel int64) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("empty image %dx%d", w, h)
	}
	px := int64(w) * int64(h)
	if px > MaxPixels {
		return fmt.Errorf("%w: %s %dx%d has %d pixels, more than the limit of %d", ErrTooLarge, format, w, h, px, MaxPixels)
	}
	if need := px * perPixel; need > MaxDecodeBytes {
		return fmt.Errorf("%w: %s %dx%d needs about %d MiB to decode (%d bytes a pixel), more than the limit of %d MiB",
			ErrTooLarge, format, w, h, need>>20, perPixel, MaxDecodeBytes>>20)
	}
	return nil
}

// decodeBytesPerPixel returns an upper bound of the memory image.Decode
// needs per pixel for data, whose header gave format and color model m: the
// decoded pixels, plus the passes of an interlaced PNG, or for JPEG what
// jpegBytesPerPixel counts.
func decodeBytesPerPixel(data []byte, format string, m color.Model) int64 {
	if format == "jpeg" {
		f := jpeg.Frame{Components: 3}
		switch m {
		case color.GrayModel:
			f.Components = 1
		case color.RGBAModel:
			f.RGB = true
		case color.CMYKModel:
			f.Components = 4
		}
		progressive, ok := jpegProgressive(data)
		f.Progressive = progressive || !ok
		return jpegBytesPerPixel(f)
	}
	var n int64
	switch m {
	case color.GrayModel, color.AlphaModel:
		n = 1
	case color.Gray16Model, color.Alpha16Model:
		n = 2
	case color.RGBA64Model, color.NRGBA64Model:
		n = 8
	default: // RGBA, NRGBA; paletted images cost less
		n = 4
		if _, ok := m.(color.Palette); ok {
			n = 1
		}
	}
	if format == "png" && len(data) > 28 && data[28] != 0 {
		n *= 2 // Adam7: the passes, then the image
	}
	return n
}

// jpegBytesPerPixel returns an upper bound of the memory decoding the JPEG
// frame f needs per pixel, at full scale: one byte a component (chroma
// subsampling ignored), four more for the RGBA or CMYK image that RGB and
// four-component frames are converted to, and for progressive frames four
// bytes (an int32 coefficient) a component.
func jpegBytesPerPixel(f jpeg.Frame) int64 {
	planes := int64(f.Components)
	n := planes
	if f.RGB || f.Components == 4 {
		n += 4
	}
	if f.Progressive {
		n += 4 * planes
	}
	return n
}

// jpegProgressive reports whether the frame header of JPEG data is
// progressive; ok is false if no frame header was found before the first
// scan, in which case the caller should assume the worst. It walks the
// markers as image/jpeg does, stray and fill bytes included, so both see
// the same frame header.
func jpegProgressive(data []byte) (progressive, ok bool) {
	pos := 2 // after SOI
	for {
		if pos+2 > len(data) {
			return false, false
		}
		b0, b1 := data[pos], data[pos+1]
		pos += 2
		for b0 != 0xff { // extraneous bytes before a marker
			if pos >= len(data) {
				return false, false
			}
			b0, b1 = b1, data[pos]
			pos++
		}
		marker := b1
		if marker == 0 {
			continue
		}
		for marker == 0xff { // fill bytes
			if pos >= len(data) {
				return false, false
			}
			marker = data[pos]
			pos++
		}
		switch {
		case marker == 0xd9 || marker == 0xda: // EOI or SOS before a frame header
			return false, false
		case 0xd0 <= marker && marker <= 0xd7: // RSTn: no length
			continue
		case marker == 0xc0 || marker == 0xc1:
			return false, true
		case marker == 0xc2:
			return true, true
		}
		if pos+2 > len(data) {
			return false, false
		}
		pos += int(data[pos])<<8 | int(data[pos+1])
	}
}
