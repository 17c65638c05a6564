package scenario

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scalebench/scalebench/internal/builtin"
	"github.com/scalebench/scalebench/internal/workload"
)

// kvOptions are the options of a made-up key-value workload the tests
// register beside the thumbnail.
type kvOptions struct {
	Keys    int           `yaml:"keys"`
	Think   time.Duration `yaml:"think"`
	Store   kvStore       `yaml:"store"`
	Tags    []string      `yaml:"tags"`
	Verbose bool          `yaml:"verbose"`
}

type kvStore struct {
	Engine string `yaml:"engine"`
	Shards int    `yaml:"shards"`
}

type nopInstance struct{}

func (nopInstance) Job(context.Context, *workload.Call) error { return nil }
func (nopInstance) Close() error                              { return nil }

func init() {
	err := workload.Register(workload.Workload[kvOptions]{
		Name:     "kv",
		Defaults: kvOptions{Keys: 100, Store: kvStore{Engine: "map", Shards: 1}},
		Check: func(o *kvOptions) error {
			var errs []error
			if o.Keys < 1 {
				errs = append(errs, workload.Errorf("keys", "must be >= 1"))
			}
			if o.Store.Engine != "map" && o.Store.Engine != "btree" {
				errs = append(errs, workload.Errorf("store.engine", "must be map or btree"))
			}
			return errors.Join(errs...)
		},
		Setup: func(context.Context, *workload.Process, kvOptions) (workload.Instance, error) {
			return nopInstance{}, nil
		},
		Method: "store.engine",
	})
	if err != nil {
		panic(err)
	}
}

func kvOf(opts any) kvOptions { return *opts.(*kvOptions) }

// A scenario names its workload and sets its options; blocks override
// them field by field; the matrix sweeps them; the baseline picks one
// value of each.
func TestWorkloadOptions(t *testing.T) {
	s, err := Parse("kv.yaml", []byte(`name: kv
workload:
  name: kv
  options:
    keys: 500
    think: 2ms
    store: {engine: btree}
    tags: [hot, cold]
load: {duration: 1s}
matrix: {workers: [1, 2], options: {store.shards: [1, 4]}}
blocks:
  - name: small
    workload: {options: {keys: 10}}
  - name: big
baseline: {block: small, workers: 2, options: {store.shards: 4}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Workload.Name != "kv" {
		t.Errorf("workload %q", s.Workload.Name)
	}
	small, big := s.Block("small"), s.Block("big")
	want := kvOptions{Keys: 10, Think: 2 * time.Millisecond, Store: kvStore{Engine: "btree", Shards: 1}, Tags: []string{"hot", "cold"}}
	if got := kvOf(small.Options); !reflect.DeepEqual(got, want) {
		t.Errorf("small's options %+v, want %+v", got, want)
	}
	if got := kvOf(big.Options); got.Keys != 500 || got.Store.Engine != "btree" {
		t.Errorf("big's options %+v, want the top level's", got)
	}
	var names []string
	for _, c := range s.Cells() {
		names = append(names, c.String())
	}
	if got := strings.Join(names, "\n"); !strings.Contains(got, "block=small gomaxprocs=1 workers=2 replicas=1 method=btree options=store.shards=4") || len(names) != 8 {
		t.Errorf("cells:\n%s", got)
	}
	if s.Baseline.Options != "store.shards=4" || s.Baseline.Workers != 2 || s.BaselineIndex() != 3 {
		t.Errorf("baseline %+v at %d", s.Baseline, s.BaselineIndex())
	}
	opts, err := small.OptionsFor(s.Workload, s.Baseline)
	if err != nil || kvOf(opts).Store.Shards != 4 || kvOf(opts).Keys != 10 || kvOf(small.Options).Store.Shards != 1 {
		t.Errorf("OptionsFor(baseline) = %+v, %v; the block's own must stay", opts, err)
	}
	opts, err = big.OptionsFor(s.Workload, s.Cells()[4])
	if err != nil || kvOf(opts).Store.Shards != 1 {
		t.Errorf("OptionsFor(big's first cell) = %+v, %v", opts, err)
	}
}

// Every problem with a workload's options is reported with its line, as
// for every other section: types, unknown fields, the workload's own
// checks, where the file sets the option (once, however many blocks
// inherit it).
func TestWorkloadOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"types and fields", `name: kv
workload:
  name: kv
  options:
    keys: many
    store: {engin: map}
    tags: [1, b]
    verbose: yes
`, `kv.yaml:5: workload.options.keys: must be an integer, got "many"
kv.yaml:6: workload.options.store.engin: unknown field; valid fields here: engine, shards; did you mean "engine"?
kv.yaml:7: workload.options.tags: must be a string, got 1
kv.yaml:8: workload.options.verbose: must be true or false, got "yes"`},
		{"the workload's checks", `name: kv
workload:
  name: kv
  options: {keys: 0}
blocks:
  - name: a
    workload: {options: {store: {engine: lsm}}}
  - name: b
`, `kv.yaml:4: workload.options.keys: must be >= 1, got 0
kv.yaml:7: blocks[0].workload.options.store.engine: must be map or btree, got "lsm"`},
		{"a workload it lacks", `name: kv
workload: {name: payroll}
`, `kv.yaml:2: workload.name: this executable has no workload "payroll"; it has: kv, thumbnail (a program registers its own with bench.Register)`},
		{"a workload per block", `name: kv
workload: {name: kv}
blocks:
  - name: a
    workload: {name: thumbnail}
`, `kv.yaml:5: blocks[0].workload.name: applies to the whole run, not to one block; set it in the top-level workload section`},
		{"methods and sweeps", `name: kv
workload: {name: kv}
matrix:
  method: [map, lsm]
  options: {store.size: [1, 2], keys: [1, 0, 1]}
`, `kv.yaml:4: matrix.method: must be map or btree, got "lsm"
kv.yaml:5: matrix.options.store.size: kv has no option "store.size"; its options: keys, think, store.engine, store.shards, tags, verbose
kv.yaml:5: matrix.options.keys: must be >= 1, got 0
kv.yaml:5: matrix.options.keys: values must be distinct, got "1" more than once`},
		{"the thumbnail's method of another workload", `name: kv
workload: {name: kv}
thumbnail: {method: fast}
`, `kv.yaml:3: thumbnail: unknown field; valid fields here: name, description, workload, load, matrix, baseline, checks, cluster, thresholds, blocks, builds`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("kv.yaml", []byte(tc.src))
			if err == nil || err.Error() != tc.want {
				t.Errorf("got:\n%v\nwant:\n%s", err, tc.want)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
		})
	}
}

// The thumbnail's options may be written under workload.options as well
// as in its own sections, with the same result.
func TestThumbnailOptionsEitherWay(t *testing.T) {
	a, err := Parse("a.yaml", []byte("name: a\nimages: {latency: 5ms}\nthumbnail: {width: 32, method: naive}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.yaml", []byte("name: b\nworkload:\n  name: thumbnail\n  options: {images: {latency: 5ms}, thumbnail: {width: 32, method: naive}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ao, bo := *a.Workload.Options.(*builtin.Options), *b.Workload.Options.(*builtin.Options); !reflect.DeepEqual(ao, bo) || ao.Width != 32 {
		t.Errorf("sections %+v, workload.options %+v", ao, bo)
	}
	if !reflect.DeepEqual(a.Cells(), b.Cells()) || a.Cells()[0].Method != "naive" {
		t.Errorf("cells %v and %v", a.Cells(), b.Cells())
	}
}

// A bad method at the top level, which every block inherits, is reported
// once.
func TestInheritedMethodReportedOnce(t *testing.T) {
	_, err := Parse("m.yaml", []byte("name: m\nmatrix: {method: [naive, slow]}\nblocks:\n  - name: a\n  - name: b\n"))
	want := `m.yaml:2: matrix.method: must be one of naive, fast, got "slow"`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
