package thumbnail

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"github.com/scalebench/scalebench/internal/thumbnail/internal/testimg"
)

// benchImages are the sources of the benchmarks: name (as in the benchmark
// names) and size.
var benchImages = []struct {
	name   string
	w, h   int
	format string
}{
	{"640x480.jpg", 640, 480, "jpg"},
	{"1920x1080.jpg", 1920, 1080, "jpg"},
	{"1920x1080.png", 1920, 1080, "png"},
}

func benchThumbnailer(b *testing.B, method string) *Thumbnailer {
	b.Helper()
	th, err := New(Options{Width: 64, Height: 64, Method: method}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return th
}

// BenchmarkProcess measures the whole pipeline (decode, resize, encode,
// discard) per method and source image.
func BenchmarkProcess(b *testing.B) {
	for _, m := range Methods() {
		for _, im := range benchImages {
			b.Run(fmt.Sprintf("method=%s/img=%s", m, im.name), func(b *testing.B) {
				data := testimg.Image(b, im.w, im.h, im.format)
				th := benchThumbnailer(b, m)
				name := "http://h/bench/" + im.name
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := th.Process(data, name); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkProcessParallel runs the whole pipeline on every P (-cpu), one
// Thumbnailer per goroutine as the runner's workers do: ns/op is the
// inverse of the throughput, so it shows how the methods scale with cores
// (allocation and GC included).
func BenchmarkProcessParallel(b *testing.B) {
	for _, m := range Methods() {
		for _, im := range benchImages {
			b.Run(fmt.Sprintf("method=%s/img=%s", m, im.name), func(b *testing.B) {
				data := testimg.Image(b, im.w, im.h, im.format)
				name := "http://h/bench/" + im.name
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					th, err := New(Options{Width: 64, Height: 64, Method: m}, nil)
					if err != nil {
						b.Error(err)
						return
					}
					for pb.Next() {
						if _, err := th.Process(data, name); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkDecode measures the decode stage: image.Decode for naive, the
// reduced-scale decoder for fast.
func BenchmarkDecode(b *testing.B) {
	for _, m := range Methods() {
		for _, im := range benchImages {
			b.Run(fmt.Sprintf("method=%s/img=%s", m, im.name), func(b *testing.B) {
				data := testimg.Image(b, im.w, im.h, im.format)
				th := benchThumbnailer(b, m)
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					var err error
					if m == MethodNaive {
						_, _, err = image.Decode(bytes.NewReader(data))
					} else {
						_, _, _, _, err = th.decodeFast(data)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkResize measures the resize stage on an already decoded image:
// the full-resolution filter for naive, reduction then filter for fast.
func BenchmarkResize(b *testing.B) {
	for _, m := range Methods() {
		for _, im := range benchImages {
			b.Run(fmt.Sprintf("method=%s/img=%s", m, im.name), func(b *testing.B) {
				data := testimg.Image(b, im.w, im.h, im.format)
				th := benchThumbnailer(b, m)
				w, h := FitSize(im.w, im.h, 64, 64)
				var img image.Image
				var err error
				scale := 1
				if m == MethodNaive {
					img, _, err = image.Decode(bytes.NewReader(data))
				} else {
					img, _, _, scale, err = th.decodeFast(data)
				}
				ex, ey := float64(im.w)/float64(scale), float64(im.h)/float64(scale)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if m == MethodNaive {
						imaging.Resize(img, w, h, imaging.Lanczos)
					} else {
						th.shrink(img, w, h, ex, ey)
					}
				}
			})
		}
	}
}

// BenchmarkEncode measures PNG encoding of a 64x48 thumbnail: png.Encode as
// naive does, and a reused encoder at two compression levels.
func BenchmarkEncode(b *testing.B) {
	data := testimg.Image(b, 640, 480, "jpg")
	th := benchThumbnailer(b, MethodNaive)
	thumb, err := th.fitNaive(data, "bench", &Timings{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("method=naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := png.Encode(io.Discard, thumb); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, lvl := range []struct {
		name  string
		level png.CompressionLevel
	}{{"default", png.DefaultCompression}, {"bestspeed", png.BestSpeed}} {
		b.Run("method=fast/level="+lvl.name, func(b *testing.B) {
			var pool singleBufferPool
			enc := png.Encoder{CompressionLevel: lvl.level, BufferPool: &pool}
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := enc.Encode(&buf, thumb); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes/out")
		})
	}
}

// BenchmarkSplit times one job at a time (its latency) with its work
// shared by 1, 2 or 4 goroutines; run it with -cpu 2 to see a split job
// use the second core: ns/op falls with the split while the CPU per job
// (not shown here; see the report's jobs per CPU-second) stays the same.
// p50-ns/op is the median job's time, which a burst of another process's
// work on a shared machine moves less than the mean.
func BenchmarkSplit(b *testing.B) {
	for _, m := range Methods() {
		for _, im := range benchImages[:2] {
			for _, split := range []int{1, 2, 4} {
				b.Run(fmt.Sprintf("method=%s/img=%s/split=%d", m, im.name, split), func(b *testing.B) {
					data := testimg.Image(b, im.w, im.h, im.format)
					th, err := New(Options{Width: 64, Height: 64, Method: m, Split: split}, nil)
					if err != nil {
						b.Fatal(err)
					}
					var times []time.Duration
					for b.Loop() {
						start := time.Now()
						if _, err := th.Process(data, "http://h/bench/"+im.name); err != nil {
							b.Fatal(err)
						}
						times = append(times, time.Since(start))
					}
					slices.Sort(times)
					b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "p50-ns/op")
				})
			}
		}
	}
}
