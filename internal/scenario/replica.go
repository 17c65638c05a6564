package scenario

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/load"
)

// Replica is what one replica of a cell runs, as a harness hands it to an
// agent: the values a scenario file sets, already split between the
// cell's replicas.
type Replica struct {
	Model                   load.Model
	Workers, GOMAXPROCS     int
	Warmup, Duration, Think time.Duration
	Timeout, Bucket         time.Duration
	Rate                    float64 // open: this replica's share
	Arrival                 load.Arrival
	Jobs                    int // batch: this replica's share
	MaxJobs                 int64
	Width, Height           int
	Filter, Format, Method  string
	Latency, Jitter         time.Duration
	Bandwidth               int64
	ErrorRate               float64
	// URLs are image paths (/640x480.png) when LocalImages, else URLs on
	// one shared image server (http://host:port/640x480.png).
	URLs        []string
	LocalImages bool
}

// CheckReplica checks every value of r against the bounds a scenario file
// is validated with (one replica of a cell counting as the whole cell for
// the machine limits), so that an agent runs nothing `scalebench validate`
// would refuse. Zero durations, timeout and bucket stand for the defaults.
func CheckReplica(r Replica) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, args...)...))
	}
	count := func(field string, v, lo, hi int64) {
		if v < lo || v > hi {
			bad(field, "must be %d..%d, got %d", lo, hi, v)
		}
	}
	dur := func(field string, v time.Duration, lim durLimits) {
		if msg := lim.check(v); msg != "" {
			bad(field, "%s", msg)
		}
	}
	if r.Model != "" && !slices.Contains(load.Models(), r.Model) {
		bad("load.model", "%q is not one of %s", r.Model, strings.Join(load.ModelNames(), ", "))
	}
	if r.Arrival != "" && !slices.Contains(load.Arrivals(), r.Arrival) {
		bad("load.arrival", "%q is not one of %s", r.Arrival, strings.Join(load.ArrivalNames(), ", "))
	}
	count("matrix.workers", int64(r.Workers), 1, MaxWorkers)
	count("matrix.gomaxprocs", int64(r.GOMAXPROCS), 1, MaxGOMAXPROCS)
	if mem := cellMemory(r.Workers, 1); r.Workers > 0 && mem > MaxCellMemory {
		bad("matrix.workers", "%d workers need about %s of worker memory, over the %s limit per cell", r.Workers, bytesIEC(mem), bytesIEC(MaxCellMemory))
	}
	if threads := cellThreads(1, r.GOMAXPROCS); r.GOMAXPROCS > 0 && threads > MaxThreads {
		bad("matrix.gomaxprocs", "gomaxprocs %d starts about %d OS threads, over the limit of %d per cell", r.GOMAXPROCS, threads, MaxThreads)
	}
	dur("load.warmup", r.Warmup, nonNegative)
	if r.Model != load.Batch || r.Duration != 0 {
		dur("load.duration", r.Duration, positive)
	}
	dur("load.think", r.Think, nonNegative)
	dur("load.timeout", r.Timeout, nonNegative)
	dur("load.bucket", r.Bucket, nonNegative)
	if r.Rate != 0 || r.Model == load.Open {
		if !(r.Rate > 0 && r.Rate <= MaxRate) || math.IsInf(r.Rate, 0) {
			bad("load.rate", "must be > 0 and at most %g/s, got %g", float64(MaxRate), r.Rate)
		}
	}
	if r.Jobs != 0 || r.Model == load.Batch {
		count("load.jobs", int64(r.Jobs), 1, MaxBatchJobs)
	}
	count("load.max_jobs", r.MaxJobs, 0, MaxMaxJobs)
	count("thumbnail.width", int64(r.Width), 1, MaxThumbSize)
	count("thumbnail.height", int64(r.Height), 1, MaxThumbSize)
	for _, e := range []struct {
		field, v string
		valid    []string
	}{{"thumbnail.filter", r.Filter, Filters}, {"thumbnail.format", r.Format, Formats}, {"thumbnail.method", r.Method, Methods}} {
		if e.v != "" && !slices.Contains(e.valid, e.v) {
			bad(e.field, "%q is not one of %s", e.v, strings.Join(e.valid, ", "))
		}
	}
	dur("images.latency", r.Latency, nonNegative)
	dur("images.jitter", r.Jitter, nonNegative)
	count("images.bandwidth", r.Bandwidth, 0, MaxBandwidth)
	if !(r.ErrorRate >= 0 && r.ErrorRate <= 1) {
		bad("images.error_rate", "must be between 0 and 1, got %g", r.ErrorRate)
	}
	errs = append(errs, checkURLs(r.URLs, r.LocalImages)...)
	return errors.Join(errs...)
}

// maxURLs bounds a replica's image list.
const maxURLs = 10000

// checkURLs checks a replica's images: paths as images.paths allows them,
// or URLs on one image server as images.url allows it.
func checkURLs(urls []string, local bool) []error {
	if len(urls) == 0 || len(urls) > maxURLs {
		return []error{fmt.Errorf("images.paths: want 1..%d images, got %d", maxURLs, len(urls))}
	}
	var errs []error
	server := ""
	for _, x := range urls {
		path := x
		if !local {
			u, err := url.Parse(x)
			if msg := checkImagesURL(x); msg != "" || err != nil {
				errs = append(errs, fmt.Errorf("images.url %q: %s", x, msg))
				continue
			}
			if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
				errs = append(errs, fmt.Errorf("images.url %q: no user, query or fragment allowed", u.Redacted()))
				continue
			}
			base := u.Scheme + "://" + u.Host
			if server == "" {
				server = base
			} else if base != server {
				errs = append(errs, fmt.Errorf("images.url: images on %s and %s; a replica's images are on one server", server, base))
				continue
			}
			path = u.EscapedPath()
			if i := strings.LastIndex(path, "/"); i >= 0 && strings.Count(path, "/") > 1 {
				// A server URL with a path prefix: the image path is its
				// tail, /{W}x{H}[/{bg}[/{fg}]].{ext}, up to three segments.
				path = imageTail(path)
			}
			if strings.Contains(u.Path, "..") {
				errs = append(errs, fmt.Errorf("images.url %q: no .. in the path", x))
				continue
			}
		}
		if msg := checkImagePath(path); msg != "" {
			errs = append(errs, fmt.Errorf("images.paths %q: %s", x, msg))
		}
	}
	return errs
}

// imageTail is the image path at the end of p: the segments from the last
// one that starts with a size ({W}x{H}).
func imageTail(p string) string {
	segs := strings.Split(p, "/")
	for i := len(segs) - 1; i >= 0 && i >= len(segs)-3; i-- {
		if sizeRE.MatchString(segs[i]) {
			return "/" + strings.Join(segs[i:], "/")
		}
	}
	return p
}
