package imageserver

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
)

// jpegQuality is the quality every JPEG is encoded at.
const jpegQuality = 85

// grain is the largest per-pixel noise, in 8-bit levels, added to each
// channel of an Image (film-grain-like luminance noise).
const grain = 12

// Image returns a deterministic w×h picture that blends bg into fg: a smooth
// gradient overlaid with soft blobs, a few hard-edged shapes, mid-frequency
// texture and per-pixel grain, so that it compresses roughly like a photo.
// The same arguments give the same pixels on every run on a given platform
// (it uses floating point, so another CPU architecture may differ in the
// last bit of some pixels). A nil colour means
// the default (bg ccc, fg 000); a size below 1 gives an empty image.
func Image(w, h int, bg, fg color.Color) *image.NRGBA {
	img, _ := render(context.Background(), w, h, bg, fg)
	return img
}

// render is Image, abandoned with ctx's error when ctx ends first.
func render(ctx context.Context, w, h int, bg, fg color.Color) (*image.NRGBA, error) {
	w, h = max(w, 0), max(h, 0)
	if w == 0 || h == 0 {
		return image.NewNRGBA(image.Rect(0, 0, w, h)), nil
	}
	b, f := toNRGBA(bg, defaultBG), toNRGBA(fg, defaultFG)
	seed := imageSeed(w, h, b, f)
	t, err := tone(ctx, w, h, seed)
	if err != nil {
		return nil, err
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))

	// lut[c][v] is channel c of the colour v/255 of the way from bg to fg.
	var lut [4][256]uint8
	for v := range 256 {
		for c, pair := range [4][2]uint8{{b.R, f.R}, {b.G, f.G}, {b.B, f.B}, {b.A, f.A}} {
			lut[c][v] = uint8((int(pair[0])*(255-v) + int(pair[1])*v + 127) / 255)
		}
	}
	for y := range h {
		if y%rowsPerCheck == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := range w {
			v := t[y*w+x]
			n := grainAt(seed, x, y)
			p := row[4*x : 4*x+4 : 4*x+4]
			p[0] = clamp8(int(lut[0][v]) + n)
			p[1] = clamp8(int(lut[1][v]) + n)
			p[2] = clamp8(int(lut[2][v]) + n)
			p[3] = lut[3][v]
		}
	}
	return img, nil
}

// rowsPerCheck is how many rows render and tone compute between two looks
// at their context.
const rowsPerCheck = 256

// Encode returns the bytes and Content-Type a Server sends for the URL path
// (for example "/640x480/ccc/aaa.jpg"; see the package documentation),
// with the default MaxSize of 8000 and the default render budget and cache
// (see Config), shared by every call. Malformed paths give an error matching
// ErrBadPath; paths that are not image paths at all give one matching
// ErrNotFound. JPEGs are quality 85.
//
// GIFs use a 256-colour palette along the bg→fg blend and carry no grain.
// The returned slice is shared with the cache: do not modify it.
func Encode(path string) (data []byte, contentType string, err error) {
	sp, err := parsePath(path, defaultMaxSize)
	if err != nil {
		return nil, "", fmt.Errorf("imageserver: encode %q: %w", path, err)
	}
	data, contentType, err = defaultImages().get(context.Background(), sp)
	if err != nil {
		return nil, "", fmt.Errorf("imageserver: encode %q: %w", path, err)
	}
	return data, contentType, nil
}

// encodeSpec renders and encodes the image described by sp, giving up
// with ctx's error when ctx ends first.
func encodeSpec(ctx context.Context, sp spec) ([]byte, string, error) {
	buf := ctxWriter{ctx: ctx}
	switch sp.format {
	case "jpeg":
		img, err := render(ctx, sp.w, sp.h, sp.bg, sp.fg)
		if err != nil {
			return nil, "", err
		}
		// Path colours are opaque, so the NRGBA pixels are also valid RGBA
		// pixels; *image.RGBA takes the JPEG encoder's fast path.
		rgba := &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
		if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: jpegQuality}); err != nil {
			return nil, "", fmt.Errorf("jpeg encode: %w", err)
		}
		return buf.Bytes(), "image/jpeg", nil
	case "png":
		img, err := render(ctx, sp.w, sp.h, sp.bg, sp.fg)
		if err != nil {
			return nil, "", err
		}
		if err := png.Encode(&buf, img); err != nil {
			return nil, "", fmt.Errorf("png encode: %w", err)
		}
		return buf.Bytes(), "image/png", nil
	case "gif":
		img, err := paletted(ctx, sp.w, sp.h, sp.bg, sp.fg)
		if err != nil {
			return nil, "", err
		}
		if err := gif.Encode(&buf, img, nil); err != nil {
			return nil, "", fmt.Errorf("gif encode: %w", err)
		}
		return buf.Bytes(), "image/gif", nil
	}
	return nil, "", fmt.Errorf("unsupported format %q", sp.format)
}

// ctxWriter is a bytes.Buffer whose writes fail once its context has
// ended, so that an encoder stops writing for a client that has gone.
type ctxWriter struct {
	ctx context.Context
	bytes.Buffer
}

func (w *ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	return w.Buffer.Write(p)
}

// paletted is Image without the grain, as a 256-colour paletted image.
func paletted(ctx context.Context, w, h int, bg, fg color.NRGBA) (*image.Paletted, error) {
	pal := make(color.Palette, 256)
	for v := range pal {
		mix := func(a, b uint8) uint8 { return uint8((int(a)*(255-v) + int(b)*v + 127) / 255) }
		pal[v] = color.NRGBA{mix(bg.R, fg.R), mix(bg.G, fg.G), mix(bg.B, fg.B), mix(bg.A, fg.A)}
	}
	t, err := tone(ctx, w, h, imageSeed(w, h, bg, fg))
	if err != nil {
		return nil, err
	}
	return &image.Paletted{Pix: t, Stride: w, Rect: image.Rect(0, 0, w, h), Palette: pal}, nil
}

// tone returns, for each pixel in row-major order, how far (0..255) its
// colour lies from bg towards fg. It gives up with ctx's error between its
// stages when ctx ends first.
func tone(ctx context.Context, w, h int, seed uint64) ([]uint8, error) {
	rng := splitmix{seed}
	v := make([]float32, w*h)
	size := float64(min(w, h))

	// A linear gradient in a random direction.
	angle := rng.float() * 2 * math.Pi
	dx, dy := float32(math.Cos(angle)), float32(math.Sin(angle))
	for y := range h {
		fy := float32(y) / float32(h) * dy
		row := v[y*w : (y+1)*w]
		for x := range row {
			row[x] = float32(x)/float32(w)*dx + fy
		}
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Gentle waves: a product of one sine per axis.
	sx, sy := make([]float32, w), make([]float32, h)
	fx, px := (1+2*rng.float())*2*math.Pi/float64(w), rng.float()*2*math.Pi
	fyq, py := (1+2*rng.float())*2*math.Pi/float64(h), rng.float()*2*math.Pi
	for x := range sx {
		sx[x] = float32(0.25 * math.Sin(fx*float64(x)+px))
	}
	for y := range sy {
		sy[y] = float32(math.Sin(fyq*float64(y) + py))
	}
	for y := range h {
		row := v[y*w : (y+1)*w]
		for x := range row {
			row[x] += sx[x] * sy[y]
		}
	}

	// Soft blobs and hard-edged ellipses.
	for i := range 9 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cx, cy := rng.float()*float64(w), rng.float()*float64(h)
		amp := float32(0.8 * (rng.float() - 0.5))
		if i < 6 {
			r := (0.1 + 0.3*rng.float()) * size
			addEllipse(v, w, h, cx, cy, r, r, amp, true)
		} else {
			rx, ry := (0.05+0.15*rng.float())*size, (0.05+0.15*rng.float())*size
			addEllipse(v, w, h, cx, cy, rx, ry, amp/2, false)
		}
	}

	// Texture at two scales.
	addValueNoise(v, w, h, max(size/8, 4), 0.25, rng.next())
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	addValueNoise(v, w, h, 3, 0.12, rng.next())
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Stretch to the full 0..255 range.
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	scale := float32(0)
	if hi > lo {
		scale = 255 / (hi - lo)
	}
	t := make([]uint8, len(v))
	for i, x := range v {
		t[i] = uint8((x-lo)*scale + 0.5)
	}
	return t, nil
}

// addEllipse adds amp inside the axis-aligned ellipse centred on (cx, cy),
// fading smoothly to 0 at its edge if soft is set.
func addEllipse(v []float32, w, h int, cx, cy, rx, ry float64, amp float32, soft bool) {
	x0, x1 := max(int(cx-rx), 0), min(int(cx+rx)+1, w)
	y0, y1 := max(int(cy-ry), 0), min(int(cy+ry)+1, h)
	for y := y0; y < y1; y++ {
		ny := (float64(y) - cy) / ry
		for x := x0; x < x1; x++ {
			nx := (float64(x) - cx) / rx
			d := nx*nx + ny*ny
			if d >= 1 {
				continue
			}
			if soft {
				k := float32(1 - d)
				v[y*w+x] += amp * k * k
			} else {
				v[y*w+x] += amp
			}
		}
	}
}

// addValueNoise adds smoothly interpolated random values on a lattice with
// the given cell size, scaled to ±amp/2.
func addValueNoise(v []float32, w, h int, cell float64, amp float32, seed uint64) {
	gw, gh := int(float64(w)/cell)+2, int(float64(h)/cell)+2
	grid := make([]float32, gw*gh)
	rng := splitmix{seed}
	for i := range grid {
		grid[i] = amp * float32(rng.float()-0.5)
	}
	// Per-column lattice index and smoothstep weight, reused for every row.
	gx, wx := make([]int, w), make([]float32, w)
	for x := range w {
		f := float64(x) / cell
		gx[x] = int(f)
		wx[x] = smooth(float32(f - math.Floor(f)))
	}
	for y := range h {
		f := float64(y) / cell
		gy := int(f)
		wy := smooth(float32(f - math.Floor(f)))
		r0, r1 := grid[gy*gw:(gy+1)*gw], grid[(gy+1)*gw:(gy+2)*gw]
		row := v[y*w : (y+1)*w]
		for x := range row {
			i, k := gx[x], wx[x]
			top := r0[i] + (r0[i+1]-r0[i])*k
			bot := r1[i] + (r1[i+1]-r1[i])*k
			row[x] += top + (bot-top)*wy
		}
	}
}

func smooth(t float32) float32 { return t * t * (3 - 2*t) }

// grainAt returns the noise, in -grain..grain, added at (x, y).
func grainAt(seed uint64, x, y int) int {
	r := mix64(seed ^ uint64(y)<<32 ^ uint64(x))
	// The sum of two uniform bytes is triangular around 255.
	s := int(r&0xff) + int(r>>8&0xff)
	return (s - 255) * grain / 255
}

func clamp8(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}

// imageSeed derives the randomness of an image from its parameters.
func imageSeed(w, h int, bg, fg color.NRGBA) uint64 {
	s := uint64(w)<<32 | uint64(uint32(h))
	s = mix64(s ^ (uint64(bg.R)<<24 | uint64(bg.G)<<16 | uint64(bg.B)<<8 | uint64(bg.A)))
	return mix64(s ^ (uint64(fg.R)<<24 | uint64(fg.G)<<16 | uint64(fg.B)<<8 | uint64(fg.A)))
}

func toNRGBA(c color.Color, def color.NRGBA) color.NRGBA {
	if c == nil {
		return def
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// splitmix is a tiny deterministic generator (SplitMix64), independent of
// the standard library's algorithms so images never change with Go versions.
type splitmix struct{ s uint64 }

func (r *splitmix) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float returns a number in [0, 1).
func (r *splitmix) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
