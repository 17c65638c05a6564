package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/load"
)

// okReplica is a replica every bound admits.
func okReplica() Replica {
	return Replica{
		Model: load.Closed, Workers: 4, GOMAXPROCS: 2, Duration: time.Second,
		Width: 64, Height: 64, URLs: []string{"/640x480/ccc/aaa.jpg"}, LocalImages: true,
	}
}

func TestCheckReplica(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Replica)
		want   string // "" for no error
	}{
		{"valid", func(*Replica) {}, ""},
		{"valid on a shared server", func(r *Replica) {
			r.LocalImages = false
			r.URLs = []string{"http://img:8080/640x480.png", "http://img:8080/a/b/32x32/fff.jpg"}
		}, ""},
		{"a million workers", func(r *Replica) { r.Workers = 1_000_000 }, "matrix.workers: must be 1..100000"},
		{"workers beyond a cell's memory", func(r *Replica) { r.Workers = 10_000 }, "worker memory"},
		{"no workers", func(r *Replica) { r.Workers = 0 }, "matrix.workers"},
		{"gomaxprocs beyond the threads", func(r *Replica) { r.GOMAXPROCS = 1024 * 1024 }, "matrix.gomaxprocs"},
		{"ten hours", func(r *Replica) { r.Duration = 10 * time.Hour }, "load.duration: must be <= 1h"},
		{"negative warm-up", func(r *Replica) { r.Warmup = -time.Second }, "load.warmup"},
		{"unknown model", func(r *Replica) { r.Model = "fork-bomb" }, "load.model"},
		{"open without rate", func(r *Replica) { r.Model = load.Open }, "load.rate"},
		{"rate NaN", func(r *Replica) { r.Model, r.Rate = load.Open, nan() }, "load.rate"},
		{"batch of too many jobs", func(r *Replica) { r.Model, r.Jobs = load.Batch, MaxBatchJobs+1 }, "load.jobs"},
		{"huge thumbnail", func(r *Replica) { r.Width = 1 << 20 }, "thumbnail.width"},
		{"unknown filter", func(r *Replica) { r.Filter = "sh -c" }, "thumbnail.filter"},
		{"error rate 2", func(r *Replica) { r.ErrorRate = 2 }, "images.error_rate"},
		{"negative bandwidth", func(r *Replica) { r.Bandwidth = -1 }, "images.bandwidth"},
		{"no images", func(r *Replica) { r.URLs = nil }, "images.paths"},
		{"path traversal", func(r *Replica) { r.URLs = []string{"/../../etc/passwd"} }, "images.paths"},
		{"a URL where a path belongs", func(r *Replica) { r.URLs = []string{"http://169.254.169.254/latest/meta-data"} }, "images.paths"},
		{"file URL", func(r *Replica) { r.LocalImages, r.URLs = false, []string{"file:///etc/passwd"} }, "images.url"},
		{"ssh port, no image", func(r *Replica) { r.LocalImages, r.URLs = false, []string{"http://127.0.0.1:22/"} }, "images.paths"},
		{"two servers", func(r *Replica) {
			r.LocalImages, r.URLs = false, []string{"http://a:1/64x64.png", "http://b:1/64x64.png"}
		}, "one server"},
		{"user in URL", func(r *Replica) { r.LocalImages, r.URLs = false, []string{"http://u:p@a:1/64x64.png"} }, "no user"},
		{"dot-dot in URL", func(r *Replica) { r.LocalImages, r.URLs = false, []string{"http://a:1/x/../64x64.png"} }, ".."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := okReplica()
			tc.change(&r)
			err := CheckReplica(r)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("CheckReplica = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("CheckReplica = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}
