package bench_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/scalebench/scalebench/bench"
)

// Options are the options of the example's workload, a key-value store:
// how many keys it holds and how it stores them.
type Options struct {
	Keys  int    `yaml:"keys"`
	Store string `yaml:"store"` // map or sorted
}

// kv is the workload in one worker process: the store, filled once.
type kv struct {
	keys   []string
	values map[string]int
}

// Job looks one key up and sums its value into the worker's total: the
// lookup is the job's one stage.
func (s *kv) Job(ctx context.Context, c *bench.Call) error {
	_ = s.values[s.keys[c.Worker%len(s.keys)]]
	c.Mark(0)
	return nil
}

func (s *kv) Close() error { return nil }

// KV is the workload: its name, its options with their defaults and
// checks, its stage and its set-up in each worker process.
var KV = bench.Workload[Options]{
	Name:     "kv",
	Stages:   []bench.Stage{{Name: "lookup", Kind: bench.CPU}},
	Defaults: Options{Keys: 1000, Store: "map"},
	Check: func(o *Options) error {
		var errs []error
		if o.Keys < 1 {
			errs = append(errs, bench.Errorf("keys", "must be >= 1"))
		}
		if o.Store != "map" && o.Store != "sorted" {
			errs = append(errs, bench.Errorf("store", "must be map or sorted"))
		}
		return errors.Join(errs...)
	},
	Setup: func(ctx context.Context, p *bench.Process, o Options) (bench.Instance, error) {
		s := &kv{values: map[string]int{}}
		for i := range o.Keys {
			k := fmt.Sprintf("key-%d", i)
			s.keys = append(s.keys, k)
			s.values[k] = i
		}
		return s, nil
	},
}

var registerOnce sync.Once

// register registers KV once for all the examples, as a main would.
func register() { registerOnce.Do(func() { bench.Register(KV) }) }

// validate runs `validate` on a scenario of source src, as the program's
// command line would, and prints what it says with the temporary
// directory left out.
func validate(src string) {
	dir, err := os.MkdirTemp("", "bench-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "kv.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		panic(err)
	}
	var out bytes.Buffer
	code := bench.Run(context.Background(), []string{"validate", path}, nil, &out, &out)
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		fmt.Println(strings.TrimRight(strings.ReplaceAll(line, dir+string(filepath.Separator), ""), " "))
	}
	fmt.Println("exit code", code)
}

// A program registers its workload and hands its command line to bench;
// a scenario names the workload and sets its options, and the matrix
// sweeps GOMAXPROCS and the workload's own options.
func Example() {
	register() // in a program: bench.Register(KV), then bench.Main()
	validate(`name: kv
workload:
  name: kv
  options: {keys: 5000}
load: {duration: 1s, warmup: 200ms, repeats: 2}
matrix:
  gomaxprocs: [1, 2]
  options: {store: [map, sorted]}
`)
	// Output:
	// kv.yaml: valid
	// scenario kv: model closed, 4 cells × 2 repeats = 8 measurements, estimated run time 12s
	// cell  gomaxprocs  workers  replicas  options
	// 0     1           1        1         store=map     baseline
	// 1     1           1        1         store=sorted
	// 2     2           1        1         store=map
	// 3     2           1        1         store=sorted
	// exit code 0
}

// Options are decoded strictly into the workload's type: a key it lacks,
// a value of the wrong type and a value its Check refuses are each
// reported with the line that sets them.
func ExampleErrorf() {
	register()
	validate(`name: kv
workload:
  name: kv
  options:
    keys: 0
    stroe: sorted
    store: [map]
`)
	// Output:
	// scalebench: kv.yaml:5: workload.options.keys: must be >= 1, got 0
	// kv.yaml:6: workload.options.stroe: unknown field; valid fields here: keys, store; did you mean "store"?
	// kv.yaml:7: workload.options.store: must be a string, got [map]
	// exit code 2
}

// The program lists its workloads; a scenario of one it lacks is refused,
// naming those it has.
func ExampleWorkloads() {
	register()
	fmt.Println(bench.Workloads())
	validate("name: payroll\nworkload: {name: payroll}\n")
	// Output:
	// [kv]
	// scalebench: kv.yaml:2: workload.name: this executable has no workload "payroll"; it has: kv (a program registers its own with bench.Register)
	// exit code 2
}
