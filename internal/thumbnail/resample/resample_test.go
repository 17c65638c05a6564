package resample

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
)

// filters are the imaging filters the thumbnail package offers.
var filters = []struct {
	name   string
	filter imaging.ResampleFilter
}{
	{"lanczos", imaging.Lanczos},
	{"catmullrom", imaging.CatmullRom},
	{"linear", imaging.Linear},
	{"box", imaging.Box},
	{"nearest", imaging.NearestNeighbor},
}

func randomNRGBA(rng *rand.Rand, w, h int, opaque bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if opaque && i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	return img
}

// TestResamplerMatchesImaging checks that with whole-pixel extents the
// Resampler is imaging.Resize for every filter: byte for byte with
// transparency, within one level in the fixed-point opaque path.
func TestResamplerMatchesImaging(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var rs Resampler
	sizes := []struct{ sw, sh, dw, dh int }{
		{128, 96, 64, 48}, {130, 97, 64, 48}, {240, 135, 64, 36}, {5, 7, 3, 2},
		{100, 10, 64, 1}, {64, 100, 64, 41}, {10, 5, 10, 5}, {50, 50, 50, 20}, {50, 50, 20, 50},
		{3, 3, 7, 7}, // upscaling, not used by the pipeline but still imaging's
	}
	for _, f := range filters {
		for _, sz := range sizes {
			for _, opaque := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/%dx%d-%dx%d/opaque=%v", f.name, sz.sw, sz.sh, sz.dw, sz.dh, opaque), func(t *testing.T) {
					src := randomNRGBA(rng, sz.sw, sz.sh, opaque)
					want := imaging.Resize(src, sz.dw, sz.dh, f.filter)
					got := rs.Resize(src, sz.dw, sz.dh, float64(sz.sw), float64(sz.sh), &f.filter)
					if got.Rect != want.Rect {
						t.Fatalf("rect %v, want %v", got.Rect, want.Rect)
					}
					if !opaque {
						if string(got.Pix) != string(want.Pix) {
							t.Errorf("output differs from imaging.Resize")
						}
						return
					}
					// Fixed point: within one level; ties at .5 levels may go either
					// way (box filter weights), so only a loose bound on how often.
					off := 0
					for i := range got.Pix {
						switch d := int(got.Pix[i]) - int(want.Pix[i]); {
						case d < -1 || d > 1:
							t.Fatalf("byte %d = %d, imaging %d", i, got.Pix[i], want.Pix[i])
						case d != 0:
							off++
						}
					}
					if off*4 > len(got.Pix) {
						t.Errorf("%d of %d bytes differ by one level from imaging", off, len(got.Pix))
					}
				})
			}
		}
	}
}

// TestResamplerConverts checks the conversion of every reduced image type
// against imaging's own.
func TestResamplerConverts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := randomNRGBA(rng, 37, 23, false)
	ycc := image.NewYCbCr(image.Rect(0, 0, 37, 23), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(rng.IntN(256))
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
	}
	rgba := image.NewRGBA(src.Rect)
	for i := 0; i < len(rgba.Pix); i += 4 {
		a := uint8(rng.IntN(256))
		rgba.Pix[i+3] = a
		for c := range 3 {
			rgba.Pix[i+c] = uint8(rng.IntN(int(a) + 1))
		}
	}
	gray := imaging.Grayscale(src)
	g := image.NewGray(gray.Rect)
	for i := range g.Pix {
		g.Pix[i] = gray.Pix[4*i]
	}
	cmyk := image.NewCMYK(src.Rect)
	for i := range cmyk.Pix {
		cmyk.Pix[i] = uint8(rng.IntN(256))
	}
	sub := ycc.SubImage(image.Rect(3, 1, 30, 20)) // off the origin: generic chroma offsets
	for _, img := range []image.Image{src, ycc, sub, rgba, g, cmyk} {
		t.Run(fmt.Sprintf("%T%v", img, img.Bounds()), func(t *testing.T) {
			var rs Resampler
			got := rs.toNRGBA(img)
			want := imaging.Clone(img)
			if string(got.Pix) != string(want.Pix) {
				t.Error("conversion differs from imaging.Clone")
			}
		})
	}
}

// TestResamplerExtent checks the fractional source extent: a partial last
// column must not shift the image, so a uniform-gradient image reduced with
// a partial edge resamples like the exact one.
func TestResamplerExtent(t *testing.T) {
	// Source: 129 columns with value = column index (a ramp); pretend the
	// last column is only half a pixel wide (extent 128.5).
	src := image.NewNRGBA(image.Rect(0, 0, 129, 1))
	for x := range 129 {
		src.Pix[4*x], src.Pix[4*x+1], src.Pix[4*x+2], src.Pix[4*x+3] = uint8(x), uint8(x), uint8(x), 255
	}
	var rs Resampler
	f := imaging.Linear
	got := rs.Resize(src, 64, 1, 128.5, 1, &f)
	// Output pixel i covers source [i*128.5/64, (i+1)*128.5/64): centre.
	for i := range 63 {
		want := (float64(i) + 0.5) * 128.5 / 64
		if d := float64(got.Pix[4*i]) - want + 0.5; d < -1 || d > 1 {
			t.Errorf("pixel %d = %d, want about %.1f", i, got.Pix[4*i], want-0.5)
		}
	}
}

// TestReducePlane checks box reduction with partial edge cells on a small
// hand-computed plane.
func TestReducePlane(t *testing.T) {
	src := []uint8{
		0, 10, 20, 30, 40,
		50, 60, 70, 80, 90,
		100, 110, 120, 130, 140,
	}
	var r Reducer
	dst := make([]uint8, 3*2)
	r.reducePlane(dst, 3, src, 5, 5, 3, 2, 2)
	want := []uint8{
		30, 50, 65, // (0+10+50+60)/4, (20+30+70+80)/4, (40+90)/2
		105, 125, 140, // (100+110)/2, (120+130)/2, 140
	}
	if string(dst) != string(want) {
		t.Errorf("reducePlane = %v, want %v", dst, want)
	}
	for _, k := range []struct{ kx, ky int }{{1, 3}, {5, 1}, {3, 2}, {7, 7}} {
		dw, dh := ceilDiv(5, k.kx), ceilDiv(3, k.ky)
		dst := make([]uint8, dw*dh)
		r.reducePlane(dst, dw, src, 5, 5, 3, k.kx, k.ky)
		for dy := range dh {
			for dx := range dw {
				var sum, n int
				for y := dy * k.ky; y < min(dy*k.ky+k.ky, 3); y++ {
					for x := dx * k.kx; x < min(dx*k.kx+k.kx, 5); x++ {
						sum += int(src[y*5+x])
						n++
					}
				}
				if want := uint8((sum + n/2) / n); dst[dy*dw+dx] != want {
					t.Errorf("k=%v: (%d,%d) = %d, want %d", k, dx, dy, dst[dy*dw+dx], want)
				}
			}
		}
	}
}

// TestReduceTypes checks every reducible image type: sizes, the subsample
// ratio, and alpha weighting of non-premultiplied pixels.
func TestReduceTypes(t *testing.T) {
	var r Reducer
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		t.Run(ratio.String(), func(t *testing.T) {
			src := image.NewYCbCr(image.Rect(0, 0, 101, 53), ratio)
			for i := range src.Y {
				src.Y[i] = uint8(i)
			}
			for i := range src.Cb {
				src.Cb[i], src.Cr[i] = 77, 200
			}
			out, ok := r.Reduce(src, 4, 3)
			if !ok {
				t.Fatal("not reduced")
			}
			m := out.(*image.YCbCr)
			if m.Rect != image.Rect(0, 0, 26, 18) || m.SubsampleRatio != ratio {
				t.Fatalf("rect %v ratio %v", m.Rect, m.SubsampleRatio)
			}
			// Every chroma sample the image addresses exists and is kept.
			for y := range 18 {
				for x := range 26 {
					if c := m.YCbCrAt(x, y); c.Cb != 77 || c.Cr != 200 {
						t.Fatalf("(%d,%d) = %v", x, y, c)
					}
				}
			}
		})
	}
	t.Run("NRGBA alpha weighting", func(t *testing.T) {
		src := image.NewNRGBA(image.Rect(0, 0, 2, 1))
		copy(src.Pix, []uint8{255, 0, 0, 255, 0, 255, 0, 0}) // opaque red, transparent green
		out, _ := r.Reduce(src, 2, 1)
		if got := out.(*image.NRGBA).Pix; string(got) != string([]uint8{255, 0, 0, 128}) {
			t.Errorf("got %v, want half-transparent pure red", got)
		}
	})
	t.Run("RGBA premultiplied", func(t *testing.T) {
		src := image.NewRGBA(image.Rect(0, 0, 2, 1))
		copy(src.Pix, []uint8{255, 0, 0, 255, 0, 0, 0, 0})
		out, _ := r.Reduce(src, 2, 1)
		if got := out.(*image.RGBA).Pix; string(got) != string([]uint8{128, 0, 0, 128}) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("Gray", func(t *testing.T) {
		src := image.NewGray(image.Rect(0, 0, 3, 3))
		for i := range src.Pix {
			src.Pix[i] = uint8(10 * i)
		}
		out, _ := r.Reduce(src, 3, 3)
		if got := out.(*image.Gray).Pix; len(got) != 1 || got[0] != 40 {
			t.Errorf("got %v, want [40]", got)
		}
	})
	t.Run("unsupported", func(t *testing.T) {
		if _, ok := r.Reduce(image.NewCMYK(image.Rect(0, 0, 4, 4)), 2, 2); ok {
			t.Error("CMYK reduced directly")
		}
		if _, ok := r.Reduce(image.NewGray(image.Rect(1, 1, 4, 4)), 2, 2); ok {
			t.Error("image off the origin reduced directly")
		}
	})
}
