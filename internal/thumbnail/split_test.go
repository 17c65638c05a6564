package thumbnail

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/scalebench/scalebench/internal/thumbnail/internal/testimg"
)

// thumbnailOf makes the thumbnail of data with opts and returns its PNG
// bytes.
func thumbnailOf(t *testing.T, opts Options, data []byte) []byte {
	t.Helper()
	opts.OutDir = t.TempDir()
	th, err := New(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	const name = "http://h/q/img.bin"
	if _, err := th.Process(data, name); err != nil {
		t.Fatalf("%+v: %v", opts, err)
	}
	out, err := readFile(opts.OutDir, OutputName(name))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSplitIsPixelIdentical is the split's guard: for both methods, every
// filter, JPEGs (sequential and progressive, gray, RGB) and a PNG, the
// thumbnail made by a job split across 2, 3 or 8 goroutines is the one
// split 1 makes, pixel for pixel; and the naive method's is still
// image.Decode and imaging.Resize's, as the lesson's code would make it.
func TestSplitIsPixelIdentical(t *testing.T) {
	files := map[string][]byte{
		"640x480.jpg": testimg.Image(t, 640, 480, "jpg"),
		"160x120.jpg": testimg.Image(t, 160, 120, "jpg"),
		"333x517.jpg": testimg.Image(t, 333, 517, "jpg"),
		"200x150.png": testimg.Image(t, 200, 150, "png"),
		"gray.jpg":    testimg.EncodeJPEG(t, imaging.Grayscale(testimg.Photo(301, 97, 3)), 90),
	}
	for name, data := range testimg.StdJPEGs(t) {
		// Under -short: a progressive and an RGB one.
		if !testing.Short() || name == "video-001.progressive.jpeg" || name == "video-001.rgb.jpeg" {
			files[name] = data
		}
	}
	splits := []int{2, 3, 8}
	if testing.Short() {
		splits = splits[1:2] // resample.TestImagingJobMatchesImaging splits in other ways
	}
	for name, data := range files {
		for _, method := range Methods() {
			for _, f := range Filters() {
				if testing.Short() && f != DefaultFilter && name != "160x120.jpg" {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s/%s", name, method, f), func(t *testing.T) {
					opts := Options{Width: 64, Height: 64, Method: method, Filter: f}
					want := thumbnailOf(t, opts, data)
					if method == MethodNaive {
						checkLessonCode(t, data, f, want)
					}
					for _, split := range splits {
						opts.Split = split
						if got := thumbnailOf(t, opts, data); !samePNGPixels(t, got, want) {
							t.Errorf("split %d differs from split 1", split)
						}
					}
				})
			}
		}
	}
}

// checkLessonCode compares a naive thumbnail with the one image.Decode and
// imaging.Resize make.
func checkLessonCode(t *testing.T, data []byte, filter string, got []byte) {
	t.Helper()
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var f imaging.ResampleFilter
	for _, ff := range filters {
		if ff.name == filter {
			f = ff.filter
		}
	}
	b := src.Bounds()
	w, h := FitSize(b.Dx(), b.Dy(), 64, 64)
	var want bytes.Buffer
	if err := png.Encode(&want, imaging.Resize(src, w, h, f)); err != nil {
		t.Fatal(err)
	}
	if !samePNGPixels(t, got, want.Bytes()) {
		t.Error("the naive thumbnail differs from image.Decode + imaging.Resize's")
	}
}

// samePNGPixels reports whether two PNGs decode to the same pixels.
func samePNGPixels(t *testing.T, a, b []byte) bool {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return ia.Bounds() == ib.Bounds() && bytes.Equal(imaging.Clone(ia).Pix, imaging.Clone(ib).Pix)
}
