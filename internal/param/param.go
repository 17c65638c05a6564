// Package param is the vocabulary of a scenario's matrix: the Params that
// identify a cell and the Dimensions a matrix sweeps, with how a scenario
// lists each one's values and the words the analysis and the report use
// for it. Adding a dimension means adding a field to Params and an entry to
// Dimensions and Expansion, here; the scenario decoder, the matrix
// expansion, the results and the report follow from them.
package param

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Limits on the values of the resource dimensions.
const (
	MaxGOMAXPROCS = 1024
	MaxWorkers    = 100000
	MaxReplicas   = 1024
	// MaxSplit bounds split: goroutines sharing one job.
	MaxSplit = 64
	// MaxMemory bounds memory, a replica's budget in bytes.
	MaxMemory = 1 << 40
)

// Kind is how a scenario writes a dimension's values.
type Kind int

// The kinds of values a matrix lists.
const (
	// Unlisted dimensions are not swept by a matrix (the block).
	Unlisted Kind = iota
	// Count values are integers from Min to Max: 1, 2, 4.
	Count
	// PerSecond values are rates in jobs per second: 100, "100/s", "6000/min".
	PerSecond
	// Choice values are names, each one of the choices the workload
	// defines (the scenario knows them).
	Choice
	// Bytes values are sizes in bytes: 1048576, "32MiB", "1GiB".
	Bytes
)

// Value is one value of a dimension: Num for a numeric dimension, Text
// for the others.
type Value struct {
	Num  float64
	Text string
}

// MarshalJSON writes the value as a JSON number or string.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.Text != "" {
		return json.Marshal(v.Text)
	}
	return json.Marshal(v.Num)
}

// String is the value as a scenario writes it: "4", "12.5", "fast".
func (v Value) String() string {
	if v.Text != "" {
		return v.Text
	}
	return strconv.FormatFloat(v.Num, 'g', -1, 64)
}

// Params identifies a cell: the point of the matrix it measures.
type Params struct {
	// Block names the scenario block the cell belongs to ("" when the
	// scenario has a single matrix): cells of different blocks ran with
	// different settings and never share a series.
	Block      string  `json:"block,omitempty"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	Workers    int     `json:"workers"`
	Replicas   int     `json:"replicas"`
	Rate       float64 `json:"rate,omitempty"`
	Method     string  `json:"method,omitempty"`
	// Split is how many goroutines share one job's CPU work; 0 (unset)
	// means one.
	Split int `json:"split,omitempty"`
	// Memory is each replica's memory budget in bytes, which the jobs
	// it runs at once must fit in; 0 (unset) means unlimited.
	Memory int64 `json:"memory,omitempty"`
	// Build names the scalebench executable whose worker processes
	// measured the cell, in an A/B run ("base", "head"); empty otherwise.
	Build string `json:"build,omitempty"`
}

// String renders the params compactly, e.g. "gomaxprocs=2 workers=8 replicas=1".
func (p Params) String() string { return p.Text(" ", nil) }

// Text names each dimension's value, "gomaxprocs=2", joined by sep and
// leaving out skip (nil for none) and unset optional dimensions.
func (p Params) Text(sep string, skip *Dimension) string {
	var parts []string
	for _, d := range Dimensions {
		if d == skip || d.Optional && !d.Set(p) {
			continue
		}
		parts = append(parts, d.Name+"="+d.Label(p))
	}
	return strings.Join(parts, sep)
}

// Compare orders params by each dimension in turn, as the matrix lists them.
func Compare(x, y Params) int {
	for _, d := range Dimensions {
		if c := d.compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// Dimension is one axis of the matrix.
type Dimension struct {
	// Name is the dimension's key in scenario files and results: "workers".
	Name string
	// Word is how headings and sentences name it: "workers", "GOMAXPROCS",
	// "offered rate".
	Word string
	// Noun is what varying it stands for in the lesson: "concurrency",
	// "scale up", "scale out", "load", "performance"; Lesson adds how.
	Noun, Lesson string
	// Axis is a chart axis label with the unit: "workers (goroutines)".
	Axis string
	// Column heads the dimension's column in a table of cells.
	Column string
	// Intro explains, in the report, what varying the dimension shows.
	Intro string
	// Resource is true when the values count resources (workers, cores,
	// processes): speedup, efficiency, Amdahl and the USL apply.
	Resource bool
	// Numeric is true when values are numbers; otherwise a cell's place
	// along the dimension is its value's order of first use.
	Numeric bool
	// Optional dimensions are left out of a cell's name when unset.
	Optional bool
	// Tag names the dimension in a cell's label: "GOMAXPROCS=2".
	Tag string
	// Unit follows a value in labels: "/s".
	Unit string
	// Singular and Plural name a count in sentences, "1 worker" and
	// "8 workers"; when empty, a count is the tagged value, "GOMAXPROCS=2",
	// for a Resource, and the label as it is otherwise ("100/s").
	Singular, Plural string
	// More is the verb for adding more of it: "adding" workers, "raising"
	// GOMAXPROCS.
	More string

	// Kind is how a scenario's matrix and baseline write its values.
	Kind Kind
	// Min and Max bound a Count's values.
	Min, Max int64
	// Default is the matrix's values when a scenario lists none; nil
	// leaves the dimension unset (the scenario may derive it from another
	// setting, as the method from thumbnail.method).
	Default []Value

	num  func(Params) float64
	text func(Params) string
	set  func(*Params, Value)
	// label, when set, writes a numeric value for people: "32MiB".
	label func(float64) string
}

// The dimensions, in the order series are built and reported.
var (
	Workers = &Dimension{
		Name: "workers", Word: "workers", Noun: "concurrency", Lesson: "more goroutines in one process",
		Column: "workers", Axis: "workers (goroutines)",
		Intro: "Workers are goroutines in one process: concurrency. While jobs wait on the network, more workers overlap the waiting " +
			"even on a single core, so throughput can grow beyond the number of cores (concurrency without parallelism). " +
			"Once the CPU is busy, more workers only queue: throughput flattens and latency rises.",
		Resource: true, Numeric: true, Tag: "workers", Singular: "worker", Plural: "workers", More: "adding",
		Kind: Count, Min: 1, Max: MaxWorkers, Default: []Value{{Num: 1}},
		num: func(p Params) float64 { return float64(p.Workers) }, set: func(p *Params, v Value) { p.Workers = int(v.Num) },
	}
	GOMAXPROCS = &Dimension{
		Name: "gomaxprocs", Word: "GOMAXPROCS", Noun: "scale up", Lesson: "more cores for one process",
		Column: "GOMAXPROCS", Axis: "GOMAXPROCS (cores)",
		Intro: "GOMAXPROCS is how many cores one process may run on at once: parallelism, scaling up. " +
			"It speeds up only the CPU-bound stages (decode, resize, encode), so an I/O-bound workload barely notices it.",
		Resource: true, Numeric: true, Tag: "GOMAXPROCS", More: "raising",
		Kind: Count, Min: 1, Max: MaxGOMAXPROCS, Default: []Value{{Num: 1}},
		num: func(p Params) float64 { return float64(p.GOMAXPROCS) }, set: func(p *Params, v Value) { p.GOMAXPROCS = int(v.Num) },
	}
	Replicas = &Dimension{
		Name: "replicas", Word: "replicas", Noun: "scale out", Lesson: "more worker processes",
		Column: "replicas", Axis: "replicas (processes)",
		Intro: "Replicas are separate worker processes fed from one queue, like servers behind a load balancer: scaling out. " +
			"Each brings its own scheduler and memory, at the cost of coordination and more overhead per job.",
		Resource: true, Numeric: true, Tag: "replicas", Singular: "replica", Plural: "replicas", More: "adding",
		Kind: Count, Min: 1, Max: MaxReplicas, Default: []Value{{Num: 1}},
		num: func(p Params) float64 { return float64(p.Replicas) }, set: func(p *Params, v Value) { p.Replicas = int(v.Num) },
	}
	Rate = &Dimension{
		Name: "rate", Word: "offered rate", Noun: "load", Lesson: "a higher offered arrival rate",
		Column: "rate (/s)", Axis: "offered rate (jobs/s)",
		Intro: "An open loop offers jobs at a fixed rate whether or not the system keeps up, as real users do. " +
			"Below saturation throughput follows the offered rate; beyond it, throughput flattens and queues make latency climb.",
		Numeric: true, Optional: true, Tag: "rate", Unit: "/s", More: "adding",
		Kind: PerSecond,
		num:  func(p Params) float64 { return p.Rate }, set: func(p *Params, v Value) { p.Rate = v.Num },
	}
	Method = &Dimension{
		Name: "method", Word: "method", Noun: "performance", Lesson: "a different thumbnail method",
		Column: "method", Axis: "thumbnail method",
		Intro: "The same work done a different way. A faster method lowers latency (performance), which raises throughput " +
			"with the same resources (scalability).",
		Optional: true, Tag: "method", More: "adding",
		Kind: Choice,
		text: func(p Params) string { return p.Method }, set: func(p *Params, v Value) { p.Method = v.Text },
	}
	Split = &Dimension{
		Name: "split", Word: "split", Noun: "performance", Lesson: "one job's work split across goroutines",
		Column: "split", Axis: "split (goroutines per job)",
		Intro: "The same resources, one job's CPU work shared by several goroutines: each job finishes sooner on idle cores " +
			"while costing the same CPU, so latency falls (performance) and, once every core is busy, throughput does not rise.",
		Numeric: true, Optional: true, Tag: "split", More: "raising",
		Kind: Count, Min: 1, Max: MaxSplit,
		num: func(p Params) float64 { return float64(p.Split) }, set: func(p *Params, v Value) { p.Split = int(v.Num) },
	}
	Memory = &Dimension{
		Name: "memory", Word: "memory", Noun: "scale up", Lesson: "more memory for one process",
		Column: "memory", Axis: "memory per replica",
		Intro: "Memory is a budget each job reserves its decode size from before it decodes, and waits for while the budget is full: " +
			"more memory admits more jobs at once, scaling up by RAM. With enough workers waiting on the network, " +
			"throughput grows with the budget while each job's service time (admitted to done) stays the same; the wait moves to the queue.",
		Resource: true, Numeric: true, Optional: true, Tag: "memory", More: "adding",
		Kind: Bytes, Min: 1, Max: MaxMemory,
		num: func(p Params) float64 { return float64(p.Memory) }, set: func(p *Params, v Value) { p.Memory = int64(v.Num) },
		label: BytesLabel,
	}
	// Block is the scenario block a cell belongs to. It is not swept: a
	// scenario lists blocks, each with its own matrix and settings, so no
	// series varies it.
	Block = &Dimension{
		Name: "block", Word: "block", Noun: "setting", Lesson: "a different block of the scenario",
		Column: "block", Axis: "block",
		Intro:    "Blocks are separate matrices of one scenario, each with its own images, thumbnail and load settings.",
		Optional: true, Tag: "block", More: "adding",
		text: func(p Params) string { return p.Block }, set: func(p *Params, v Value) { p.Block = v.Text },
	}
	// Build is the scalebench executable that measured a cell in an A/B
	// run. It is not swept by a matrix: the builds come from run --build
	// or the scenario's builds.
	Build = &Dimension{
		Name: "build", Word: "build", Noun: "performance", Lesson: "a different build of the same code base",
		Column: "build", Axis: "build",
		Intro: "The same resources, different code: each build's worker processes measure the same cell, " +
			"interleaved repeat by repeat, so drift of the machine hits every build alike and the difference is the code's.",
		Optional: true, Tag: "build", More: "adding",
		text: func(p Params) string { return p.Build }, set: func(p *Params, v Value) { p.Build = v.Text },
	}
	// Dimensions lists every dimension in the order the matrix and cell
	// names list them.
	Dimensions = []*Dimension{Block, GOMAXPROCS, Workers, Replicas, Memory, Rate, Method, Split, Build}
	// Series lists the dimensions in the order series are built and reported.
	Series = []*Dimension{Workers, GOMAXPROCS, Replicas, Memory, Rate, Method, Split, Build}
	// Expansion lists the dimensions a matrix sweeps, outermost first: the
	// order of a block's cells.
	Expansion = []*Dimension{GOMAXPROCS, Replicas, Memory, Method, Split, Rate, Workers}
)

// Listed returns the dimensions a scenario's matrix may list, in the order
// of Dimensions.
func Listed() []*Dimension {
	var out []*Dimension
	for _, d := range Dimensions {
		if d.Kind != Unlisted {
			out = append(out, d)
		}
	}
	return out
}

// Lookup returns the dimension called name, or nil.
func Lookup(name string) *Dimension {
	for _, d := range Dimensions {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// Value is p's value along a numeric dimension (0 for others).
func (d *Dimension) Value(p Params) float64 {
	if d.num == nil {
		return 0
	}
	return d.num(p)
}

// Key is p's value along d as comparison keys and threshold selectors
// write it: numbers plainly ("100" for a rate of 100/s), names as they are.
func (d *Dimension) Key(p Params) string {
	if d.Numeric {
		return strconv.FormatFloat(d.Value(p), 'g', -1, 64)
	}
	return d.Text(p)
}

// Text is p's value along a non-numeric dimension ("" for numeric ones).
func (d *Dimension) Text(p Params) string {
	if d.text == nil {
		return ""
	}
	return d.text(p)
}

// Label is p's value as a label: "8", "100/s", "fast", "32MiB".
func (d *Dimension) Label(p Params) string {
	if d.text != nil {
		return d.text(p)
	}
	if d.label != nil {
		return d.label(d.num(p))
	}
	return strconv.FormatFloat(d.num(p), 'g', -1, 64) + d.Unit
}

// ValueText is v as a scenario writes a value of d: "4", "fast", "32MiB".
func (d *Dimension) ValueText(v Value) string {
	if d.label != nil && v.Text == "" {
		return d.label(v.Num)
	}
	return v.String()
}

// BytesLabel writes a size in bytes with the largest binary unit that
// divides it: 33554432 → "32MiB", 1536 → "1.5KiB", 1000 → "1000B".
func BytesLabel(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for i < len(units)-1 && b >= 1024 && math.Mod(b, 1024) == 0 {
		b /= 1024
		i++
	}
	if i < len(units)-1 && b >= 1024 {
		b /= 1024
		i++
	}
	return strconv.FormatFloat(b, 'g', 4, 64) + units[i]
}

// Without returns p with this dimension's value cleared: the key of the
// series p belongs to along d.
func (d *Dimension) Without(p Params) Params { return d.With(p, Value{}) }

// With returns p with its value along d set to v.
func (d *Dimension) With(p Params, v Value) Params {
	d.set(&p, v)
	return p
}

// Get returns p's value along d.
func (d *Dimension) Get(p Params) Value {
	if d.text != nil {
		return Value{Text: d.text(p)}
	}
	return Value{Num: d.num(p)}
}

// Count names a value label as a count: "1 worker", "8 workers",
// "GOMAXPROCS=2"; other dimensions use the label as it is.
func (d *Dimension) Count(label string) string {
	switch {
	case d.Plural == "" && d.Resource:
		return d.Tag + "=" + label
	case d.Plural == "":
		return label
	case label == "1":
		return label + " " + d.Singular
	}
	return label + " " + d.Plural
}

// Adding names the act of adding more along d: "adding workers",
// "raising GOMAXPROCS".
func (d *Dimension) Adding() string { return d.More + " " + d.Word }

// Heading is the lesson's name for varying d: "concurrency: more
// goroutines in one process".
func (d *Dimension) Heading() string { return d.Noun + ": " + d.Lesson }

// Set reports whether p has a value along d (not zero or empty).
func (d *Dimension) Set(p Params) bool {
	if d.text != nil {
		return d.text(p) != ""
	}
	return d.num(p) != 0
}

func (d *Dimension) compare(x, y Params) int {
	if d.text != nil {
		return cmp.Compare(d.text(x), d.text(y))
	}
	return cmp.Compare(d.num(x), d.num(y))
}
