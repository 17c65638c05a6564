// Package scenario describes what a scalebench run measures: the image
// workload, the thumbnail settings, the load model and the matrix of
// GOMAXPROCS, workers and replicas to sweep.
package scenario

import (
	"time"

	"github.com/scalebench/scalebench/internal/param"
)

// Scenario is one decoded and validated scenario file, with defaults applied.
type Scenario struct {
	Name        string     `yaml:"name" json:"name"`
	Description string     `yaml:"description" json:"description,omitempty"`
	Images      Images     `yaml:"images" json:"images"`
	Thumbnail   Thumbnail  `yaml:"thumbnail" json:"thumbnail"`
	Load        LoadConfig `yaml:"load" json:"load"`
	Matrix      Matrix     `yaml:"matrix" json:"matrix"`
	Baseline    Params     `yaml:"baseline" json:"baseline"`
	Checks      Checks     `yaml:"checks" json:"checks"`

	// File is the path the scenario was read from ("" when parsed from bytes).
	File string `yaml:"-" json:"file,omitempty"`
}

// Images configures the embedded mock image server and the URLs jobs fetch.
type Images struct {
	Latency   Duration `yaml:"latency" json:"latency"`
	Jitter    Duration `yaml:"jitter" json:"jitter"`
	Bandwidth int64    `yaml:"bandwidth" json:"bandwidth,omitempty"`   // bytes/s per response, 0 = unlimited
	ErrorRate float64  `yaml:"error_rate" json:"error_rate,omitempty"` // fraction of requests answered 503
	Paths     []string `yaml:"paths" json:"paths"`                     // dummyimage-style paths, e.g. /640x480/ccc/aaa.jpg
	// URL, when set, is the base URL of an image server to use instead of
	// the embedded one (e.g. one started with `scalebench serve-images`).
	URL string `yaml:"url" json:"url,omitempty"`
}

// Thumbnail configures the workload's resize step.
type Thumbnail struct {
	Width  int    `yaml:"width" json:"width"`
	Height int    `yaml:"height" json:"height"`
	Filter string `yaml:"filter" json:"filter"`
	Format string `yaml:"format" json:"format"`
	Method string `yaml:"method" json:"method"`           // naive or fast; the matrix may sweep it
	Output string `yaml:"output" json:"output,omitempty"` // directory for thumbnails; "" discards them
}

// LoadConfig configures how jobs are offered to the system under test.
// (It is not named Load because the package function Load reads a file.)
type LoadConfig struct {
	Model    string   `yaml:"model" json:"model"`                 // closed, open or batch
	Duration Duration `yaml:"duration" json:"duration"`           // measured window per cell and repeat
	Warmup   Duration `yaml:"warmup" json:"warmup"`               // unmeasured run before each window
	Repeats  int      `yaml:"repeats" json:"repeats"`             // measurements per cell
	Think    Duration `yaml:"think" json:"think,omitempty"`       // closed: pause between a worker's jobs
	Rate     Rate     `yaml:"rate" json:"rate,omitempty"`         // open: arrivals per second
	Arrival  string   `yaml:"arrival" json:"arrival,omitempty"`   // open: poisson or uniform
	Jobs     int      `yaml:"jobs" json:"jobs,omitempty"`         // batch: jobs per measurement
	Bucket   Duration `yaml:"bucket" json:"bucket"`               // time-series bucket width
	Timeout  Duration `yaml:"timeout" json:"timeout"`             // per-job timeout
	MaxJobs  int64    `yaml:"max_jobs" json:"max_jobs,omitempty"` // hard cap on jobs per window, 0 = none
	Cooldown Duration `yaml:"cooldown" json:"cooldown,omitempty"` // pause between measurements
}

// Matrix lists the values each dimension sweeps; every combination is a cell.
type Matrix struct {
	GOMAXPROCS []int     `yaml:"gomaxprocs" json:"gomaxprocs"`
	Workers    []int     `yaml:"workers" json:"workers"`
	Replicas   []int     `yaml:"replicas" json:"replicas"`
	Rate       []float64 `yaml:"rate" json:"rate,omitempty"`     // open model only
	Method     []string  `yaml:"method" json:"method,omitempty"` // thumbnail methods
}

// Checks holds the thresholds that turn a measurement into a warning.
type Checks struct {
	MaxErrorRate float64 `yaml:"max_error_rate" json:"max_error_rate"`     // default 0.01
	LittleTol    float64 `yaml:"little_tolerance" json:"little_tolerance"` // default 0.10
	MinJobs      int64   `yaml:"min_jobs" json:"min_jobs"`                 // default 100
}

// Params identifies one cell of the matrix.
type Params = param.Params

// Step is one measurement in run order: a cell and which repeat of it.
type Step struct {
	Cell   int // index into Cells()
	Repeat int // 0-based
}

// Duration is a time.Duration written as a Go duration string ("50ms", "3s").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Rate is an arrival rate in jobs per second, written as a number or "100/s".
type Rate float64
