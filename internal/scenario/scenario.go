// Package scenario describes what a scalebench run measures: the image
// workload, the thumbnail settings, the load model and the matrix of
// GOMAXPROCS, workers and replicas to sweep.
package scenario

import (
	"time"

	"github.com/scalebench/scalebench/internal/load"
	"github.com/scalebench/scalebench/internal/metric"
	"github.com/scalebench/scalebench/internal/param"
)

// Scenario is one decoded and validated scenario file, with defaults applied.
type Scenario struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Images      Images     `json:"images"`
	Thumbnail   Thumbnail  `json:"thumbnail"`
	Load        LoadConfig `json:"load"`
	Matrix      Matrix     `json:"matrix"`
	Baseline    Params     `json:"baseline"`
	Checks      Checks     `json:"checks"`
	Cluster     Cluster    `json:"cluster"`
	// Thresholds are absolute limits that run and report check.
	Thresholds metric.Thresholds `json:"thresholds,omitempty"`
	// Blocks are the scenario's matrices, each with the settings its cells
	// run with. A file without a blocks list has one unnamed block holding
	// the top-level sections; with one, the top-level images, thumbnail,
	// load and matrix are the defaults each block overrides.
	Blocks []Block `json:"blocks"`
	// Builds, when listed, are the executables every cell is measured
	// with, in turn (see Build).
	Builds []Build `json:"builds,omitempty"`

	// File is the path the scenario was read from ("" when parsed from bytes).
	File string `json:"file,omitempty"`
}

// Images configures the embedded mock image server and the URLs jobs fetch.
type Images struct {
	Latency   Duration `json:"latency"`
	Jitter    Duration `json:"jitter"`
	Bandwidth int64    `json:"bandwidth,omitempty"`  // bytes/s per response, 0 = unlimited
	ErrorRate float64  `json:"error_rate,omitempty"` // fraction of requests answered 503
	Paths     []string `json:"paths"`                // dummyimage-style paths, e.g. /640x480/ccc/aaa.jpg
	// URL, when set, is the base URL of an image server to use instead of
	// the embedded one (e.g. one started with `scalebench serve-images`).
	URL string `json:"url,omitempty"`
}

// Thumbnail configures the workload's resize step.
type Thumbnail struct {
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Filter string `json:"filter"`
	Format string `json:"format"`
	Method string `json:"method"`           // naive or fast; the matrix may sweep it
	Output string `json:"output,omitempty"` // directory for thumbnails; "" discards them
}

// LoadConfig configures how jobs are offered to the system under test.
type LoadConfig struct {
	Model    load.Model   `json:"model"`
	Duration Duration     `json:"duration"`           // measured window per cell and repeat
	Warmup   Duration     `json:"warmup"`             // unmeasured run before each window
	Repeats  int          `json:"repeats"`            // measurements per cell
	Think    Duration     `json:"think,omitempty"`    // closed: pause between a worker's jobs
	Rate     Rate         `json:"rate,omitempty"`     // open: arrivals per second
	Arrival  load.Arrival `json:"arrival,omitempty"`  // open
	Jobs     int          `json:"jobs,omitempty"`     // batch: jobs per measurement
	Bucket   Duration     `json:"bucket"`             // time-series bucket width
	Timeout  Duration     `json:"timeout"`            // per-job timeout
	MaxJobs  int64        `json:"max_jobs,omitempty"` // hard cap on jobs per window, 0 = none
	Cooldown Duration     `json:"cooldown,omitempty"` // pause between measurements
}

// Block is one matrix of a scenario and the settings of its cells.
type Block struct {
	// Name identifies the block in cells and reports; "" for the single
	// block of a file without a blocks list.
	Name      string     `json:"name,omitempty"`
	Images    Images     `json:"images"`
	Thumbnail Thumbnail  `json:"thumbnail"`
	Load      LoadConfig `json:"load"`
	Matrix    Matrix     `json:"matrix"`
	// Reference quotes the step of the lesson's worked example the block
	// reproduces; nil when it quotes none.
	Reference *Reference `json:"reference,omitempty"`
}

// Reference is a step of the lesson's worked example as a block quotes
// it: its formula ("180/120 = 1.5X"), what it did, and where and why the
// block's step differs; it has a formula or says something, or both.
type Reference struct {
	Formula string `json:"formula"`
	Says    string `json:"says,omitempty"`
	Differs string `json:"differs,omitempty"`
}

// Matrix lists the values each dimension sweeps, by the dimension's name
// (param.Dimension.Name); every combination is a cell.
type Matrix map[string][]param.Value

// Ints returns the values listed for a Count dimension.
func (m Matrix) Ints(d *param.Dimension) []int {
	var out []int
	for _, v := range m[d.Name] {
		out = append(out, int(v.Num))
	}
	return out
}

// Floats returns the values listed for a numeric dimension.
func (m Matrix) Floats(d *param.Dimension) []float64 {
	var out []float64
	for _, v := range m[d.Name] {
		out = append(out, v.Num)
	}
	return out
}

// Texts returns the values listed for a Choice dimension.
func (m Matrix) Texts(d *param.Dimension) []string {
	var out []string
	for _, v := range m[d.Name] {
		out = append(out, v.Text)
	}
	return out
}

// Checks holds the thresholds that turn a measurement into a warning.
type Checks struct {
	MaxErrorRate float64 `json:"max_error_rate"`   // default 0.01
	LittleTol    float64 `json:"little_tolerance"` // default 0.10
	MinJobs      int64   `json:"min_jobs"`         // default 100
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
