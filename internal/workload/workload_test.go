package workload

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// kvOptions are options of a made-up key-value workload, with the kinds of
// field a workload's options hold.
type kvOptions struct {
	Keys    int           `yaml:"keys" json:"keys"`
	Think   time.Duration `yaml:"think" json:"think"`
	Store   store         `yaml:"store" json:"store"`
	Tags    []string      `yaml:"tags" json:"tags"`
	Secret  string        `yaml:"-" json:"-"`
	Verbose bool          // "verbose"
}

type store struct {
	Engine string `yaml:"engine" json:"engine"`
	Shards int    `yaml:"shards" json:"shards"`
}

// nop is an instance that does nothing.
type nop struct{}

func (nop) Job(context.Context, *Call) error { return nil }
func (nop) Close() error                     { return nil }

func kv() Workload[kvOptions] {
	return Workload[kvOptions]{
		Name:     "kv",
		Stages:   []Stage{{Name: "get", Kind: IO}, {Name: "decode", Kind: CPU}},
		Defaults: kvOptions{Keys: 100, Store: store{Engine: "map", Shards: 1}, Tags: []string{"a"}},
		Check: func(o *kvOptions) error {
			var errs []error
			if o.Keys < 1 {
				errs = append(errs, Errorf("keys", "must be >= 1"))
			}
			if o.Store.Engine != "map" && o.Store.Engine != "btree" {
				errs = append(errs, Errorf("store.engine", "must be map or btree"))
			}
			return errors.Join(errs...)
		},
		Setup:  func(context.Context, *Process, kvOptions) (Instance, error) { return nop{}, nil },
		Method: "store.engine",
	}
}

func TestDefineRefusesABadWorkload(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Workload[kvOptions])
		want string
	}{
		{"no name", func(w *Workload[kvOptions]) { w.Name = "" }, "workload name"},
		{"a name with a space", func(w *Workload[kvOptions]) { w.Name = "k v" }, "letters, digits"},
		{"no setup", func(w *Workload[kvOptions]) { w.Setup = nil }, "no Setup"},
		{"too many stages", func(w *Workload[kvOptions]) { w.Stages = make([]Stage, MaxStages+1) }, "at most 8"},
		{"a stage twice", func(w *Workload[kvOptions]) { w.Stages = []Stage{{Name: "a"}, {Name: "a"}} }, "distinct"},
		{"a kind of stage", func(w *Workload[kvOptions]) { w.Stages = []Stage{{Name: "a", Kind: "gpu"}} }, `kind "gpu"`},
		{"a section it lacks", func(w *Workload[kvOptions]) { w.Sections = []string{"nope"} }, `section "nope"`},
		{"a section of the scenario's", func(w *Workload[kvOptions]) { w.Sections = []string{"load"} }, "scenario field"},
		{"a method not a string", func(w *Workload[kvOptions]) { w.Method = "keys" }, "method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := kv()
			tc.edit(&w)
			if _, err := Define(w); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Define = %v, want an error with %q", err, tc.want)
			}
		})
	}
	d, err := Define(Workload[struct{}]{Name: "bare", Setup: func(context.Context, *Process, struct{}) (Instance, error) { return nop{}, nil }})
	if err != nil || !d.Timed() || len(d.Stages) != 1 || d.Stages[0].Name != "job" {
		t.Errorf("a workload without stages: %+v, %v; want one timed stage, job", d, err)
	}
}

func TestLookupNamesWhatItHas(t *testing.T) {
	if err := Register(kv()); err != nil {
		t.Fatal(err)
	}
	if err := Register(kv()); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("second Register = %v, want an error", err)
	}
	if d, err := Lookup("kv"); err != nil || d.Name != "kv" {
		t.Errorf("Lookup(kv) = %v, %v", d, err)
	}
	_, err := Lookup("payroll")
	var ue *UnknownError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `workload "payroll": this executable has no such workload; it has: kv`) {
		t.Errorf("Lookup(payroll) = %v", err)
	}
	if _, err := Lookup(""); err == nil || !strings.Contains(err.Error(), `"thumbnail"`) {
		t.Errorf(`Lookup("") = %v, want the default, thumbnail, which this test binary lacks`, err)
	}
}

// Options travel as JSON: decoded onto the defaults, strictly, and
// checked; a copy shares nothing with its original.
func TestOptionsRoundTrip(t *testing.T) {
	d, err := Define(kv())
	if err != nil {
		t.Fatal(err)
	}
	opts := d.NewOptions().(*kvOptions)
	opts.Keys, opts.Think, opts.Secret = 5, time.Second, "stays here"
	raw, err := d.EncodeOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	back, err := d.DecodeOptions(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := *opts
	want.Secret = ""
	if got := *back.(*kvOptions); !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
	for _, bad := range []struct{ raw, want string }{
		{`{"keys": 0}`, "keys: must be >= 1"},
		{`{"keys": 1, "shell": "rm"}`, "unknown field"},
		{`{"keys": "many"}`, "cannot unmarshal"},
	} {
		if _, err := d.DecodeOptions(json.RawMessage(bad.raw)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("DecodeOptions(%s) = %v, want %q", bad.raw, err, bad.want)
		}
	}
	cp := d.Copy(opts).(*kvOptions)
	cp.Tags[0], cp.Store.Shards = "changed", 9
	if opts.Tags[0] != "a" || opts.Store.Shards != 1 {
		t.Errorf("changing a copy changed the original: %+v", opts)
	}
	if fresh := d.NewOptions().(*kvOptions); fresh.Tags[0] != "a" || fresh.Keys != 100 {
		t.Errorf("the defaults changed: %+v", fresh)
	}
}

func TestFieldsAndValues(t *testing.T) {
	var names []string
	for _, f := range Fields(reflect.TypeFor[kvOptions]()) {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "keys think store tags verbose" {
		t.Errorf("fields %q", got)
	}
	opts := &kvOptions{}
	v, err := Value(opts, "store.engine")
	if err != nil {
		t.Fatal(err)
	}
	v.SetString("btree")
	if opts.Store.Engine != "btree" {
		t.Errorf("Value did not reach the field: %+v", opts)
	}
	if _, err := FieldByPath(reflect.TypeFor[kvOptions](), "store.nope"); err == nil {
		t.Error("FieldByPath found a field that is not there")
	}
	got, _ := json.Marshal(Written(&kvOptions{Keys: 3, Think: 50 * time.Millisecond, Secret: "x"}))
	want := `{"keys":3,"store":{"engine":"","shards":0},"tags":[],"think":"50ms","verbose":false}`
	if string(got) != want {
		t.Errorf("Written = %s, want %s", got, want)
	}
}

func TestFieldErrors(t *testing.T) {
	other := errors.New("the store is down")
	err := errors.Join(Errorf("keys", "must be >= 1"), other, errors.Join(Errorf("store.engine", "must be map")))
	fields, rest := FieldErrors(err)
	if len(fields) != 2 || fields[0].Field != "keys" || fields[1].Field != "store.engine" || !errors.Is(rest, other) {
		t.Errorf("FieldErrors = %v, %v", fields, rest)
	}
	if fields, rest := FieldErrors(nil); fields != nil || rest != nil {
		t.Errorf("FieldErrors(nil) = %v, %v", fields, rest)
	}
}

// A job marks where each stage ends, or adds times it measured itself.
func TestCallStages(t *testing.T) {
	var c Call
	c.Begin("in")
	time.Sleep(2 * time.Millisecond)
	c.Mark(0)
	c.Add(1, time.Second)
	c.Add(MaxStages, time.Hour) // out of range: ignored
	st := c.Stages()
	if c.Input != "in" || st[0] < 2*time.Millisecond || st[1] != time.Second || st[MaxStages-1] != 0 {
		t.Errorf("stages %v, input %q", st, c.Input)
	}
	c.Begin("next")
	if c.Stages() != ([MaxStages]time.Duration{}) {
		t.Error("Begin did not clear the last job's stages")
	}
}

// A service's settings travel as JSON; Start gets them back, Inputs
// builds the jobs' inputs on the server, and Check refuses bad ones.
func TestService(t *testing.T) {
	type settings struct {
		Paths []string `json:"paths"`
	}
	w := kv()
	stopped := false
	w.Service = &Service[kvOptions, settings]{
		Settings: func(o kvOptions) settings { return settings{Paths: o.Tags} },
		Start: func(_ context.Context, s settings) (Server, error) {
			return Server{URL: "http://127.0.0.1:1", Close: func() error { stopped = true; return nil }}, nil
		},
		Inputs: func(s settings, url string) []string {
			var out []string
			for _, p := range s.Paths {
				out = append(out, url+"/"+p)
			}
			return out
		},
		Check: func(s *settings) error {
			if len(s.Paths) == 0 {
				return Errorf("tags", "must list one")
			}
			return nil
		},
	}
	d, err := Define(w)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := d.ServiceSettings(d.NewOptions())
	if err != nil || string(raw) != `{"paths":["a"]}` {
		t.Fatalf("ServiceSettings = %s, %v", raw, err)
	}
	srv, in, err := d.StartService(context.Background(), raw)
	if err != nil || !reflect.DeepEqual(in, []string{"http://127.0.0.1:1/a"}) {
		t.Fatalf("StartService: %v, %v", in, err)
	}
	if srv.Close(); !stopped {
		t.Error("Close did not stop the server")
	}
	if err := d.CheckService(json.RawMessage(`{"paths":[]}`)); err == nil {
		t.Error("CheckService took settings its Check refuses")
	}
	if err := d.CheckService(json.RawMessage(`{"paths":["a"],"cmd":"x"}`)); err == nil {
		t.Error("CheckService took a field the settings lack")
	}
}

// The optional hooks are read off the options' type.
func TestHooks(t *testing.T) {
	if _, ok, _ := JobMemory(kvOptions{}); ok {
		t.Error("JobMemory: kvOptions declares none")
	}
	if n, ok, err := JobMemory(sized(64)); !ok || n != 64 || err != nil {
		t.Errorf("JobMemory = %d, %v, %v", n, ok, err)
	}
	if MaxSplit(kvOptions{}) != 1 || MaxSplit(sized(4)) != 4 {
		t.Error("MaxSplit does not read the Splitter")
	}
}

// sized declares both hooks.
type sized int

func (s sized) JobMemory() (int64, error) { return int64(s), nil }
func (s sized) MaxSplit() int             { return int(s) }
