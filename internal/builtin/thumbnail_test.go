package builtin

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/thumbnail"
	"github.com/scalebench/scalebench/internal/workload"
)

// The thumbnail workload is a valid workload: the scalebench executable
// registers it through package bench, which refuses one that is not.
func TestDefine(t *testing.T) {
	d, err := workload.Define(Thumbnail)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.StageNames(), " "); got != "fetch decode resize encode write" || !d.HasService() || d.Name != workload.Default {
		t.Errorf("stages %q, service %v, name %s", got, d.HasService(), d.Name)
	}
}

// An agent refuses image URLs no scenario could have given it, before any
// worker process starts.
func TestCheckInputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		urls []string
		want string // "" for none
	}{
		{"one server", []string{"http://img:8080/640x480.png", "http://img:8080/a/b/32x32/fff.jpg"}, ""},
		{"no images", nil, "images.paths"},
		{"path traversal", []string{"http://a:1/../../etc/passwd"}, ".."},
		{"not an image", []string{"http://169.254.169.254/latest/meta-data"}, "images.paths"},
		{"file URL", []string{"file:///etc/passwd"}, "images.url"},
		{"ssh port, no image", []string{"http://127.0.0.1:22/"}, "images.paths"},
		{"two servers", []string{"http://a:1/64x64.png", "http://b:1/64x64.png"}, "one server"},
		{"user in URL", []string{"http://u:p@a:1/64x64.png"}, "no user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkInputs(tc.urls)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("checkInputs = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("checkInputs = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// The service starts a mock image server on loopback, and the jobs'
// inputs are the image paths on it; a server the scenario names is used
// as it is.
func TestService(t *testing.T) {
	d, err := workload.Define(Thumbnail)
	if err != nil {
		t.Fatal(err)
	}
	opts := d.NewOptions().(*Options)
	opts.Images.Paths = []string{"/64x48/ccc/aaa.jpg", "/8x8.png"}
	settings, err := d.ServiceSettings(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv, in, err := d.StartService(context.Background(), settings)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") || len(in) != 2 || in[1] != srv.URL+"/8x8.png" {
		t.Fatalf("server %s, inputs %v", srv.URL, in)
	}
	resp, err := http.Get(in[0])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %s", in[0], resp.Status)
	}
	opts.Images.URL = "http://img.example:8080/"
	settings, _ = d.ServiceSettings(opts)
	named, in, err := d.StartService(context.Background(), settings)
	if err != nil || named.URL != opts.Images.URL || in[0] != "http://img.example:8080/64x48/ccc/aaa.jpg" {
		t.Errorf("a named server: %+v, %v, %v", named, in, err)
	}
	if got := summary(Options{Images: Images{Latency: 50 * time.Millisecond}}); got != "image server latency 50 ms" {
		t.Errorf("summary %q", got)
	}
}

// JobMemory, the memory hook, is the decode budget's count for the
// largest image of the block and the method: the naive method decodes at
// full scale, the fast one a JPEG at a reduced DCT scale.
func TestJobMemory(t *testing.T) {
	naive := Options{Images: Images{Paths: []string{"/320x240.png", "/640x480/ccc/aaa.jpg"}},
		ThumbnailOptions: ThumbnailOptions{Width: 64, Height: 64, Method: thumbnail.MethodNaive}}
	n, ok, err := workload.JobMemory(naive)
	// The JPEG's 640×480 pixels in three planes, more than the PNG's
	// 320×240 in RGBA.
	if !ok || err != nil || n != 640*480*3 {
		t.Errorf("naive: %d, %v, %v; want %d", n, ok, err, 640*480*3)
	}
	fast := naive
	fast.Method = thumbnail.MethodFast
	// The fast method decodes the JPEG at 1/4 scale for a 64×64 box
	// (160×120, three planes): the PNG is now the largest.
	if n, _, _ := workload.JobMemory(fast); n != 320*240*4 {
		t.Errorf("fast: %d, want %d", n, 320*240*4)
	}
	if got := thumbnail.DecodeSizeOf(640, 480, "jpeg", thumbnail.Options{Width: 64, Height: 64, Method: thumbnail.MethodFast}); got != 160*120*3 {
		t.Errorf("fast JPEG decode %d, want %d", got, 160*120*3)
	}
	bad := naive
	bad.Images.Paths = []string{"/0x0.jpg"}
	if _, _, err := workload.JobMemory(bad); err == nil {
		t.Error("JobMemory of a path no scenario takes")
	}
}
