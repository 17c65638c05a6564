// Portions of this file are derived from Go's image/jpeg package,
// Copyright 2009 The Go Authors, used under the BSD-style license in
// GO_LICENSE.

// Package jpeg is Go's image/jpeg decoder, copied and changed to decode at
// a DCT scale of 1, 1/2, 1/4 or 1/8 (as libjpeg and Pillow's draft mode do),
// straight from memory, reusing its buffers from image to image. Everything
// in this package derives from the standard library (see GO_LICENSE); the
// policy of which scale to use belongs to the caller.
package jpeg

import (
	"errors"
	"fmt"
	"image"
	"io"
)

// Decoder decodes baseline, extended-sequential and progressive JPEGs
// with one or three components straight from memory, at a DCT scale of 1,
// 1/2, 1/4 or 1/8 as libjpeg (and so Pillow's draft mode) does. At scale 1
// its output is identical to image/jpeg's. It keeps its pixel planes and
// coefficient buffers from one image to the next: the image it returns is
// valid until the next call to decode.
type Decoder struct {
	data []byte
	pos  int // next unread byte of data

	// Entropy-coded data bit reader: nbits valid bits, most significant
	// first, left-aligned in acc. The last pad of them are zeros appended
	// past the end of the segment; consuming them means the data is short.
	acc   uint64
	nbits uint32
	pad   uint32

	width, height int
	nComp         int
	comp          [jpegMaxComponents]jpegComponent

	baseline, progressive bool
	jfif                  bool
	adobeTransformValid   bool
	adobeTransform        uint8
	eobRun                uint16
	ri                    int // restart interval

	huff  [2][4]huffTable
	quant [4][64]int32 // dequantization tables, natural order

	scale int // DCT scale denominator: 1, 2, 4 or 8
	bs    int // output block size: 8/scale

	progCoeffs [jpegMaxComponents][]jblock
	progBuf    [jpegMaxComponents][]jblock

	haveImg bool
	planes  [3][]uint8
	gray    image.Gray
	ycc     image.YCbCr

	// rows, when set, is told of the image and of each band of its rows
	// that a sequential scan of every component has finished.
	rows func(img image.Image, n int)
}

// jblock holds the 64 coefficients of a block in natural order.
type jblock [64]int32

type jpegComponent struct {
	h, v int   // sampling factors
	c    uint8 // component identifier
	tq   uint8 // quantization table selector
}

const (
	jpegMaxComponents = 4
	jpegMaxTq         = 3
	jpegMaxTh         = 3

	jpegSOF0 = 0xc0 // baseline sequential
	jpegSOF1 = 0xc1 // extended sequential
	jpegSOF2 = 0xc2 // progressive
	jpegDHT  = 0xc4
	jpegRST0 = 0xd0
	jpegRST7 = 0xd7
	jpegEOI  = 0xd9
	jpegSOS  = 0xda
	jpegDQT  = 0xdb
	jpegDRI  = 0xdd
	jpegCOM  = 0xfe
	jpegAPP0 = 0xe0
	jpegAP14 = 0xee
	jpegAP15 = 0xef
)

// jpegFormatError reports invalid JPEG data.
type jpegFormatError string

func (e jpegFormatError) Error() string { return "invalid JPEG format: " + string(e) }

// jpegUnsupportedError reports a valid JPEG feature this decoder lacks.
type jpegUnsupportedError string

func (e jpegUnsupportedError) Error() string { return "unsupported JPEG feature: " + string(e) }

// ErrFallback means the image is valid but should be decoded by
// image/jpeg (four-component CMYK/YCCK images).
var ErrFallback = errors.New("jpeg: use image/jpeg")

var errShortHuffman = jpegFormatError("short Huffman data")

// jpegUnzig maps zig-zag order to natural order.
var jpegUnzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// reset prepares d for a new image, keeping its buffers.
func (d *Decoder) reset(data []byte) {
	planes, progBuf := d.planes, d.progBuf
	*d = Decoder{data: data, planes: planes, progBuf: progBuf}
	d.rows = nil
}

// Frame describes an image as its frame header declares it, before any
// pixel memory is allocated.
type Frame struct {
	Width, Height int
	Components    int  // 1 (gray), 3 (YCbCr or RGB) or 4 (CMYK or YCCK)
	RGB           bool // three components stored as RGB, converted to RGBA
	Progressive   bool // every DCT coefficient is kept until the last scan
}

// Decode decodes data. scaleFor is called with the frame as soon as its
// header is read and returns the DCT scale denominator to use (1, 2, 4 or
// 8) or an error that aborts decoding. Decode returns the image and the
// full size. Four-component images yield ErrFallback once scaleFor has
// accepted their frame.
func (d *Decoder) Decode(data []byte, scaleFor func(Frame) (int, error)) (img image.Image, w, h int, err error) {
	return d.DecodeRows(data, scaleFor, nil)
}

// DecodeRows is Decode telling rows, as the decoding goes, of the image
// it fills (the one it will return) and how many of its rows, from the
// top, are final: after each row of MCUs of a sequential image whose scan
// covers every component, and once more when the image is whole, before
// DecodeRows returns. Other images (progressive, one scan per component,
// RGB) are told of once, whole. rows runs on the decoding goroutine; a
// reader of the image's rows must learn of them through it, or through
// something it does.
func (d *Decoder) DecodeRows(data []byte, scaleFor func(Frame) (int, error), rows func(img image.Image, n int)) (img image.Image, w, h int, err error) {
	d.reset(data)
	d.rows = rows
	defer func() {
		// Safety net: a bug here must not take down a benchmark worker.
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("jpeg: internal decoder error: %v", r)
		}
		d.data = nil
	}()
	img, err = d.decodeImage(scaleFor)
	return img, d.width, d.height, err
}

func (d *Decoder) decodeImage(scaleFor func(Frame) (int, error)) (image.Image, error) {
	data := d.data
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		return nil, jpegFormatError("missing SOI marker")
	}
	d.pos = 2
	for {
		if d.pos+2 > len(data) {
			return nil, io.ErrUnexpectedEOF
		}
		b0, b1 := data[d.pos], data[d.pos+1]
		d.pos += 2
		// Extraneous bytes before a marker are ignored, as libjpeg and
		// image/jpeg do.
		for b0 != 0xff {
			if d.pos >= len(data) {
				return nil, io.ErrUnexpectedEOF
			}
			b0, b1 = b1, data[d.pos]
			d.pos++
		}
		marker := b1
		if marker == 0 {
			continue // "\xff\x00" is extraneous data
		}
		for marker == 0xff { // fill bytes
			if d.pos >= len(data) {
				return nil, io.ErrUnexpectedEOF
			}
			marker = data[d.pos]
			d.pos++
		}
		if marker == jpegEOI {
			break
		}
		if jpegRST0 <= marker && marker <= jpegRST7 {
			continue // stray restart marker after the last segment
		}
		if d.pos+2 > len(data) {
			return nil, io.ErrUnexpectedEOF
		}
		n := int(data[d.pos])<<8 + int(data[d.pos+1]) - 2
		d.pos += 2
		if n < 0 {
			return nil, jpegFormatError("short segment length")
		}
		if d.pos+n > len(data) {
			return nil, io.ErrUnexpectedEOF
		}
		seg := data[d.pos : d.pos+n]
		d.pos += n

		var err error
		switch marker {
		case jpegSOF0, jpegSOF1, jpegSOF2:
			d.baseline = marker == jpegSOF0
			d.progressive = marker == jpegSOF2
			if err = d.processSOF(seg); err != nil {
				break
			}
			var s int
			f := Frame{Width: d.width, Height: d.height, Components: d.nComp, Progressive: d.progressive}
			f.RGB = d.nComp == 3 && d.isRGB()
			if s, err = scaleFor(f); err != nil {
				return nil, err
			}
			// Every luma block takes at least one bit (its DC code) in the
			// first scan: reject headers that promise more blocks than the
			// data can hold before allocating for them.
			if blocks := int64(ceilDiv(d.width, 8)) * int64(ceilDiv(d.height, 8)); blocks > 8*int64(len(data)-d.pos) {
				return nil, jpegFormatError("image data too short for its size")
			}
			if d.nComp == 4 {
				return nil, ErrFallback
			}
			switch s {
			case 1, 2, 4, 8:
			default:
				return nil, fmt.Errorf("jpeg: bad DCT scale 1/%d", s)
			}
			d.scale, d.bs = s, 8/s
		case jpegDHT:
			err = d.processDHT(seg)
		case jpegDQT:
			err = d.processDQT(seg)
		case jpegSOS:
			err = d.processSOS(seg)
		case jpegDRI:
			if len(seg) != 2 {
				return nil, jpegFormatError("DRI has wrong length")
			}
			d.ri = int(seg[0])<<8 + int(seg[1])
		case jpegAPP0:
			d.jfif = len(seg) >= 5 && string(seg[:5]) == "JFIF\x00"
		case jpegAP14:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobeTransformValid = true
				d.adobeTransform = seg[11]
			}
		default:
			if jpegAPP0 <= marker && marker <= jpegAP15 || marker == jpegCOM {
				// ignored
			} else if marker < 0xc0 {
				err = jpegFormatError("unknown marker")
			} else {
				err = jpegUnsupportedError("unknown marker")
			}
		}
		if err != nil {
			return nil, err
		}
	}

	if d.progressive {
		d.reconstructProgressiveImage()
	}
	if !d.haveImg {
		return nil, jpegFormatError("missing SOS marker")
	}
	var img image.Image = &d.ycc
	switch {
	case d.nComp == 1:
		img = &d.gray
	case d.isRGB():
		img = d.convertToRGB()
	}
	if d.rows != nil {
		d.rows(img, img.Bounds().Dy())
	}
	return img, nil
}

// streams reports whether the rows of the image can be told as a scan of
// nComp components finishes them: a sequential scan of every component
// of an image that needs no conversion once decoded.
func (d *Decoder) streams(nComp int) bool {
	return d.rows != nil && !d.progressive && nComp == d.nComp && (d.nComp == 1 || !d.isRGB())
}

// processSOF reads a frame header, as specified in section B.2.2.
func (d *Decoder) processSOF(seg []byte) error {
	if d.nComp != 0 {
		return jpegFormatError("multiple SOF markers")
	}
	switch len(seg) {
	case 6 + 3*1:
		d.nComp = 1
	case 6 + 3*3:
		d.nComp = 3
	case 6 + 3*4:
		d.nComp = 4
	default:
		return jpegUnsupportedError("number of components")
	}
	if seg[0] != 8 {
		return jpegUnsupportedError("precision")
	}
	d.height = int(seg[1])<<8 + int(seg[2])
	d.width = int(seg[3])<<8 + int(seg[4])
	if int(seg[5]) != d.nComp {
		return jpegFormatError("SOF has wrong length")
	}
	errRatio := jpegUnsupportedError("luma/chroma subsampling ratio")
	for i := 0; i < d.nComp; i++ {
		d.comp[i].c = seg[6+3*i]
		for j := 0; j < i; j++ {
			if d.comp[i].c == d.comp[j].c {
				return jpegFormatError("repeated component identifier")
			}
		}
		d.comp[i].tq = seg[8+3*i]
		if d.comp[i].tq > jpegMaxTq {
			return jpegFormatError("bad Tq value")
		}
		hv := seg[7+3*i]
		h, v := int(hv>>4), int(hv&0x0f)
		if h < 1 || 4 < h || v < 1 || 4 < v {
			return jpegFormatError("luma/chroma subsampling ratio")
		}
		if h == 3 || v == 3 {
			return errRatio
		}
		switch d.nComp {
		case 1:
			// A single component is non-interleaved: its MCU is one block
			// whatever its nominal sampling factors (sections A.2, 4.8.2).
			h, v = 1, 1
		case 3:
			switch i {
			case 0:
				if v == 4 {
					return errRatio
				}
			case 1:
				if d.comp[0].h%h != 0 || d.comp[0].v%v != 0 {
					return errRatio
				}
			case 2:
				if d.comp[1].h != h || d.comp[1].v != v {
					return errRatio
				}
			}
		}
		d.comp[i].h, d.comp[i].v = h, v
	}
	return nil
}

// processDQT reads quantization tables, as specified in section B.2.4.1.
func (d *Decoder) processDQT(seg []byte) error {
	for len(seg) > 0 {
		x := seg[0]
		seg = seg[1:]
		tq := x & 0x0f
		if tq > jpegMaxTq {
			return jpegFormatError("bad Tq value")
		}
		q := &d.quant[tq]
		switch x >> 4 {
		case 0:
			if len(seg) < 64 {
				return jpegFormatError("DQT has wrong length")
			}
			for zig := range 64 {
				q[jpegUnzig[zig]] = int32(seg[zig])
			}
			seg = seg[64:]
		case 1:
			if len(seg) < 128 {
				return jpegFormatError("DQT has wrong length")
			}
			for zig := range 64 {
				q[jpegUnzig[zig]] = int32(seg[2*zig])<<8 | int32(seg[2*zig+1])
			}
			seg = seg[128:]
		default:
			return jpegFormatError("bad Pq value")
		}
	}
	return nil
}

func (d *Decoder) isRGB() bool {
	if d.jfif {
		return false
	}
	if d.adobeTransformValid && d.adobeTransform == 0 {
		return true // Adobe "unknown" transform: RGB in practice
	}
	return d.comp[0].c == 'R' && d.comp[1].c == 'G' && d.comp[2].c == 'B'
}

// convertToRGB interleaves the three decoded planes of an RGB JPEG.
func (d *Decoder) convertToRGB() image.Image {
	cScale := d.comp[0].h / d.comp[1].h
	src := &d.ycc
	b := src.Rect
	img := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		po := img.PixOffset(b.Min.X, y)
		yo := src.YOffset(b.Min.X, y)
		co := src.COffset(b.Min.X, y)
		for i := range b.Dx() {
			p := img.Pix[po+4*i : po+4*i+4 : po+4*i+4]
			p[0] = src.Y[yo+i]
			p[1] = src.Cb[co+i/cScale]
			p[2] = src.Cr[co+i/cScale]
			p[3] = 255
		}
	}
	return img
}

// makeImg sizes the output planes for mxx x myy MCUs at the current scale.
func (d *Decoder) makeImg(mxx, myy int) {
	d.haveImg = true
	bs := d.bs
	w, h := ceilDiv(d.width, d.scale), ceilDiv(d.height, d.scale)
	if d.nComp == 1 {
		stride := bs * mxx
		d.planes[0] = grow(d.planes[0], stride*bs*myy)
		d.gray = image.Gray{Pix: d.planes[0], Stride: stride, Rect: image.Rect(0, 0, w, h)}
		return
	}
	h0, v0 := d.comp[0].h, d.comp[0].v
	h1, v1 := d.comp[1].h, d.comp[1].v
	var ratio image.YCbCrSubsampleRatio
	switch (h0/h1)<<4 | (v0 / v1) {
	case 0x11:
		ratio = image.YCbCrSubsampleRatio444
	case 0x12:
		ratio = image.YCbCrSubsampleRatio440
	case 0x21:
		ratio = image.YCbCrSubsampleRatio422
	case 0x22:
		ratio = image.YCbCrSubsampleRatio420
	case 0x41:
		ratio = image.YCbCrSubsampleRatio411
	case 0x42:
		ratio = image.YCbCrSubsampleRatio410
	}
	yStride, cStride := bs*h0*mxx, bs*h1*mxx
	d.planes[0] = grow(d.planes[0], yStride*bs*v0*myy)
	d.planes[1] = grow(d.planes[1], cStride*bs*v1*myy)
	d.planes[2] = grow(d.planes[2], cStride*bs*v1*myy)
	d.ycc = image.YCbCr{
		Y: d.planes[0], Cb: d.planes[1], Cr: d.planes[2],
		YStride: yStride, CStride: cStride,
		SubsampleRatio: ratio,
		Rect:           image.Rect(0, 0, w, h),
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// grow returns buf resized to n bytes, reallocating only when it is too
// small.
func grow(buf []uint8, n int) []uint8 {
	if cap(buf) < n {
		return make([]uint8, n)
	}
	return buf[:n]
}
