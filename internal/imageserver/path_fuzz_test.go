package imageserver

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzParsePath checks the URL path parser on any input: it never panics;
// it accepts only sizes within the limit, the three formats and opaque
// colours; it rejects with ErrBadPath or ErrNotFound and a one-line reason;
// and what it accepts, written back in canonical form, parses to the same
// image.
func FuzzParsePath(f *testing.F) {
	for _, p := range []string{
		// valid
		"/256x256/000/fff.jpg", "/320x240/fff/00.jpg", "/640x480/ccc/aaa.jpg",
		"/100x50/00ff00/ff00ff.jpeg", "/200x100/abc/def.png", "/200x100/abc/def.gif",
		"/64x32.png", "/64x32/f00.JPG", "/1x1/F/0.gif", "/8000x1.png", "/8000X8000.Jpeg",
		// invalid
		"/0x10.jpg", "/9000x10.jpg", "/10x.jpg", "/10.jpg", "/-1x10.jpg", "/10x-1.jpg",
		"/99999999999999999999x1.jpg", "/10x10/zzz/fff.jpg", "/10x10/fff/abcd.jpg",
		"/10x10//fff.jpg", "/10x10/+ff.jpg", "/10x10.bmp", "/10x10/fff/000.", "/10x10",
		"/10x10/a/b/c.jpg", "/abc.jpg", "/", "", "/favicon.ico", "/1x1.jpg\n",
		"/10x10/fff/000.jpg/", "/1x1/\xff\xfe.png", "/+1x1.png", "/1_0x10.png", "/0x0.gif",
		"/000000001x000000001.png", "/1x1/0x0.png",
	} {
		f.Add(p)
	}
	const maxSize = defaultMaxSize
	f.Fuzz(func(t *testing.T, path string) {
		sp, err := parsePath(path, maxSize)
		if err != nil {
			bad, notFound := errors.Is(err, ErrBadPath), errors.Is(err, ErrNotFound)
			if bad == notFound {
				t.Fatalf("parsePath(%q) error %v: ErrBadPath %v, ErrNotFound %v; want exactly one", path, err, bad, notFound)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("parsePath(%q) reason %q is not one line", path, err)
			}
			return
		}
		if sp.w < 1 || sp.h < 1 || sp.w > maxSize || sp.h > maxSize {
			t.Fatalf("parsePath(%q) accepted size %dx%d, limit %d", path, sp.w, sp.h, maxSize)
		}
		switch sp.format {
		case "jpeg", "png", "gif":
		default:
			t.Fatalf("parsePath(%q) accepted format %q", path, sp.format)
		}
		if sp.bg.A != 0xff || sp.fg.A != 0xff {
			t.Fatalf("parsePath(%q) gave colours %v, %v; want opaque", path, sp.bg, sp.fg)
		}
		canon := fmt.Sprintf("/%dx%d/%02x%02x%02x/%02x%02x%02x.%s", sp.w, sp.h,
			sp.bg.R, sp.bg.G, sp.bg.B, sp.fg.R, sp.fg.G, sp.fg.B, sp.format)
		again, err := parsePath(canon, maxSize)
		if err != nil || again != sp {
			t.Fatalf("parsePath(%q) = %+v; its canonical form %q parses to %+v, %v", path, sp, canon, again, err)
		}
	})
}
