// Package builtin defines the workload the scalebench executable registers
// through package bench: the thumbnail generator of the lesson (package
// thumbnail) with its mock image server (package imageserver) as its
// service. Scenarios that name no workload run it, and write its options
// as two sections of their own, images and thumbnail.
package builtin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scalebench/scalebench/internal/format"
	"github.com/scalebench/scalebench/internal/imageserver"
	"github.com/scalebench/scalebench/internal/thumbnail"
	"github.com/scalebench/scalebench/internal/workload"
)

// Options are the thumbnail workload's options: the images its jobs fetch
// and the thumbnail they make of each.
type Options struct {
	// Images stay in the harness, and in each agent: they configure the
	// service, whose URLs the jobs get as their inputs.
	Images           Images `yaml:"images" json:"-"`
	ThumbnailOptions `yaml:"thumbnail"`
}

// ThumbnailOptions are the resize step's settings. In JSON its fields are named
// as worker protocol 2 named thumbnail.Options', so builds from before
// named workloads take the thumbnail's specs.
type ThumbnailOptions struct {
	Width  int    `yaml:"width" json:"Width"`
	Height int    `yaml:"height" json:"Height"`
	Filter string `yaml:"filter" json:"Filter"`
	Format string `yaml:"format" json:"Format"`
	// Method is naive or fast; the matrix's method dimension sweeps it.
	Method string `yaml:"method" json:"Method"`
	// Output is a directory for the thumbnails; "" discards them.
	Output string `yaml:"output" json:"OutDir"`
}

// Images configure the mock image server and the images jobs fetch.
type Images struct {
	// Latency is added to every image response: the "network".
	Latency time.Duration `yaml:"latency" json:"latency"`
	// Jitter is a random extra latency, uniform in ±Jitter.
	Jitter time.Duration `yaml:"jitter" json:"jitter"`
	// Bandwidth is bytes per second per response; 0 is unlimited.
	Bandwidth int64 `yaml:"bandwidth" json:"bandwidth"`
	// ErrorRate is the fraction of requests answered 503.
	ErrorRate float64 `yaml:"error_rate" json:"error_rate"`
	// Paths are dummyimage-style paths: /640x480/ccc/aaa.jpg.
	Paths []string `yaml:"paths" json:"paths"`
	// URL, when set, is the base URL of an image server to use instead of
	// the embedded one (e.g. one started with scalebench serve-images).
	URL string `yaml:"url" json:"url,omitempty"`
}

// Defaults of the options a scenario leaves out.
const (
	DefaultImagePath = "/640x480/ccc/aaa.jpg"
	DefaultThumbSize = 64
)

// Limits of the options.
const (
	MaxImageSize = 8000
	MaxBandwidth = 1 << 50
	MaxDuration  = time.Hour
	// maxPaths bounds the images of a block, and of a replica's inputs.
	maxPaths = 10000
)

// Stages of a thumbnail job, in the order Thumbnail names them.
const (
	stageFetch = iota
	stageDecode
	stageResize
	stageEncode
	stageWrite
)

// Thumbnail is the thumbnail workload.
var Thumbnail = workload.Workload[Options]{
	Name:        workload.Default,
	Description: "Each job fetches an image over HTTP, decodes it, resizes it to fit the thumbnail box with a Lanczos filter, encodes a PNG and writes it.",
	Stages: []workload.Stage{
		{Name: "fetch", Kind: workload.IO, Doc: "Fetch is timed from the request to the last byte: network I/O."},
		{Name: "decode", Kind: workload.CPU},
		{Name: "resize", Kind: workload.CPU},
		{Name: "encode", Kind: workload.CPU},
		{Name: "write", Kind: workload.IO},
	},
	Defaults: Options{
		Images: Images{Paths: []string{DefaultImagePath}},
		ThumbnailOptions: ThumbnailOptions{
			Width: DefaultThumbSize, Height: DefaultThumbSize,
			Filter: thumbnail.DefaultFilter, Format: thumbnail.DefaultFormat, Method: thumbnail.DefaultMethod,
		},
	},
	Check:     check,
	Setup:     setup,
	ErrorKind: thumbnail.Kind,
	Service: &workload.Service[Options, Images]{
		Settings: func(o Options) Images { return o.Images },
		Start:    serve,
		Inputs:   urls,
		Check:    checkImages,
	},
	Sections: []string{"images", "thumbnail"},
	Method:   "thumbnail.method",
	Summary:  summary,
}

// check reports every option out of its bounds, by its path.
func check(o *Options) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, workload.Errorf(field, format, args...))
	}
	size := func(field string, v int) {
		switch {
		case v < 1:
			bad(field, "must be >= 1")
		case v > thumbnail.MaxSize:
			bad(field, "must be <= %d", thumbnail.MaxSize)
		}
	}
	size("thumbnail.width", o.Width)
	size("thumbnail.height", o.Height)
	for _, e := range []struct {
		field, v string
		valid    []string
	}{{"thumbnail.filter", o.Filter, thumbnail.Filters()}, {"thumbnail.format", o.Format, thumbnail.Formats()}, {"thumbnail.method", o.Method, thumbnail.Methods()}} {
		if !slices.Contains(e.valid, e.v) {
			bad(e.field, "must be one of %s", strings.Join(e.valid, ", "))
		}
	}
	return errors.Join(append(errs, checkImages(&o.Images))...)
}

// checkImages reports every image setting out of its bounds, by its path.
func checkImages(im *Images) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, workload.Errorf(field, format, args...))
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"images.latency", im.Latency}, {"images.jitter", im.Jitter}} {
		switch {
		case d.v < 0:
			bad(d.field, "must be >= 0")
		case d.v > MaxDuration:
			bad(d.field, "must be <= 1h")
		}
	}
	switch {
	case im.Bandwidth < 0:
		bad("images.bandwidth", "must be >= 0")
	case im.Bandwidth > MaxBandwidth:
		bad("images.bandwidth", "must be <= %d bytes per second", int64(MaxBandwidth))
	}
	if !(im.ErrorRate >= 0 && im.ErrorRate <= 1) {
		bad("images.error_rate", "must be between 0 and 1")
	}
	if len(im.Paths) == 0 || len(im.Paths) > maxPaths {
		bad("images.paths", "must list 1 to %d image paths, got %d", maxPaths, len(im.Paths))
	}
	for i, p := range im.Paths {
		if msg := checkImagePath(p); msg != "" {
			bad(fmt.Sprintf("images.paths[%d]", i), "%s", msg)
		}
	}
	if im.URL != "" {
		if msg := checkImagesURL(im.URL); msg != "" {
			bad("images.url", "%s", msg)
		}
	}
	return errors.Join(errs...)
}

var (
	// pathRE matches /{W}x{H}[/{bg}[/{fg}]].{ext}; colours are 1, 2, 3 or 6
	// hex digits as the image server accepts.
	pathRE = regexp.MustCompile(`^/([0-9]{1,9})[xX]([0-9]{1,9})(?:/([0-9a-fA-F]{1,3}|[0-9a-fA-F]{6})(?:/([0-9a-fA-F]{1,3}|[0-9a-fA-F]{6}))?)?\.((?i:jpg|jpeg|png|gif))$`)
	// sizeRE matches an image path's first segment, {W}x{H}.
	sizeRE = regexp.MustCompile(`^[0-9]{1,9}[xX][0-9]{1,9}`)
)

// checkImagePath says what is wrong with an image path, or "".
func checkImagePath(x string) string {
	_, _, _, msg := imageSize(x)
	return msg
}

// imageSize returns the size and format an image path names, or what is
// wrong with it.
func imageSize(x string) (w, h int, format, msg string) {
	m := pathRE.FindStringSubmatch(x)
	if m == nil {
		return 0, 0, "", "must look like /{W}x{H}[/{bg}[/{fg}]].{jpg|jpeg|png|gif} with colours of 1, 2, 3 or 6 hex digits, e.g. /640x480/ccc/aaa.jpg"
	}
	w, _ = strconv.Atoi(m[1])
	h, _ = strconv.Atoi(m[2])
	if w < 1 || h < 1 || w > MaxImageSize || h > MaxImageSize {
		return 0, 0, "", fmt.Sprintf("width and height must be 1..%d", MaxImageSize)
	}
	format = strings.ToLower(m[5])
	if format == "jpg" {
		format = "jpeg"
	}
	return w, h, format, ""
}

// checkImagesURL says what is wrong with images.url, or "".
func checkImagesURL(x string) string {
	u, err := url.Parse(x)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an http:// or https:// URL like http://127.0.0.1:8080"
	}
	return ""
}

// summary names what a block's images change: the image server's latency.
func summary(o Options) string {
	if o.Images.URL != "" {
		return "images from " + o.Images.URL
	}
	if o.Images.Latency <= 0 {
		return "image server latency none"
	}
	return "image server latency " + format.Duration(o.Images.Latency.Seconds())
}

// serve starts a mock image server for im on 127.0.0.1, or names the
// server im.URL gives.
func serve(_ context.Context, im Images) (workload.Server, error) {
	if im.URL != "" {
		return workload.Server{URL: im.URL}, nil
	}
	srv, err := imageserver.New(imageserver.Config{
		Latency: im.Latency, Jitter: im.Jitter, Bandwidth: im.Bandwidth, ErrorRate: im.ErrorRate,
	})
	if err != nil {
		return workload.Server{}, fmt.Errorf("start image server: %w", err)
	}
	return workload.Server{URL: srv.URL, Close: srv.Close}, nil
}

// urls returns each image path on the server at base.
func urls(im Images, base string) []string {
	base = strings.TrimRight(base, "/")
	out := make([]string, len(im.Paths))
	for i, p := range im.Paths {
		out[i] = base + p
	}
	return out
}

// instance is the thumbnail workload in one worker process: a Thumbnailer
// per worker, sharing one HTTP client.
type instance struct {
	client *http.Client
	thumbs []*thumbnail.Thumbnailer
}

// setup makes a Thumbnailer for each worker. A process running for an
// agent writes no thumbnail, and fetches only images on one server.
func setup(_ context.Context, p *workload.Process, o Options) (workload.Instance, error) {
	opts := thumbnail.Options{
		Width: o.Width, Height: o.Height, Filter: o.Filter, Format: o.Format, Method: o.Method, OutDir: o.Output,
		Split: p.Split,
	}
	if p.Remote {
		// Thumbnails stay on the agent's machine, if anywhere: an agent
		// writes no file where an assignment says.
		opts.OutDir = ""
		if err := checkInputs(p.Inputs); err != nil {
			return nil, err
		}
	}
	in := &instance{client: thumbnail.NewClient(p.Workers), thumbs: make([]*thumbnail.Thumbnailer, p.Workers)}
	for i := range in.thumbs {
		t, err := thumbnail.New(opts, in.client)
		if err != nil {
			return nil, err
		}
		if p.Memory != nil {
			t.SetBudget(p.Memory) // one per process: a replica's memory
		}
		in.thumbs[i] = t
	}
	return in, nil
}

// ReservesMemory implements workload.Reserver: each job reserves its
// image's decode size, read from the image's header.
func (in *instance) ReservesMemory() bool { return true }

// Job makes the thumbnail of the image at the job's input URL.
func (in *instance) Job(ctx context.Context, c *workload.Call) error {
	tm, err := in.thumbs[c.Worker].Do(ctx, c.Input)
	c.AddQueue(tm.Queue)
	c.Add(stageFetch, tm.Fetch)
	c.Add(stageDecode, tm.Decode)
	c.Add(stageResize, tm.Resize)
	c.Add(stageEncode, tm.Encode)
	c.Add(stageWrite, tm.Write)
	return err
}

// Close closes the idle connections of the workers' client.
func (in *instance) Close() error {
	in.client.CloseIdleConnections()
	return nil
}

// checkInputs checks the image URLs a harness gave an agent's replica:
// each an image path as images.paths allows, all on one server as
// images.url allows, without user, query or fragment.
func checkInputs(urls []string) error {
	if len(urls) == 0 || len(urls) > maxPaths {
		return fmt.Errorf("images.paths: want 1..%d images, got %d", maxPaths, len(urls))
	}
	var errs []error
	server := ""
	for _, x := range urls {
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
		if strings.Contains(u.Path, "..") {
			errs = append(errs, fmt.Errorf("images.url %q: no .. in the path", x))
			continue
		}
		path := u.EscapedPath()
		if strings.Count(path, "/") > 1 {
			// A server URL with a path prefix: the image path is its
			// tail, /{W}x{H}[/{bg}[/{fg}]].{ext}, up to three segments.
			path = imageTail(path)
		}
		if msg := checkImagePath(path); msg != "" {
			errs = append(errs, fmt.Errorf("images.paths %q: %s", x, msg))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("assignment refused: %w", err)
	}
	return nil
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

// JobMemory is the most memory one job needs to decode the largest of the
// block's images (workload.MemoryNeeder), by the decode budget's count; 0
// for images on a server of the scenario's own (images.url), whose jobs
// learn their images' sizes as the headers arrive.
func (o Options) JobMemory() (int64, error) {
	if o.Images.URL != "" {
		return 0, nil
	}
	opts := thumbnail.Options{Width: o.Width, Height: o.Height, Method: o.Method}
	var most int64
	for _, p := range o.Images.Paths {
		w, h, f, msg := imageSize(p)
		if msg != "" {
			return 0, fmt.Errorf("images.paths %q: %s", p, msg)
		}
		most = max(most, thumbnail.DecodeSizeOf(w, h, f, opts))
	}
	return most, nil
}

var (
	_ workload.MemoryNeeder = Options{}
	_ workload.Splitter     = Options{}
	_ workload.Reserver     = (*instance)(nil)
)

// MaxSplit is how many goroutines one job may divide into
// (workload.Splitter).
func (o Options) MaxSplit() int { return thumbnail.MaxSplit }
