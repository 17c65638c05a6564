package param_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/scalebench/scalebench/internal/param"
)

func TestParamsString(t *testing.T) {
	for _, tc := range []struct {
		p    param.Params
		want string
	}{
		{param.Params{GOMAXPROCS: 2, Workers: 8, Replicas: 1}, "gomaxprocs=2 workers=8 replicas=1"},
		{param.Params{GOMAXPROCS: 1, Workers: 16, Replicas: 2, Rate: 12.5, Method: "fast"}, "gomaxprocs=1 workers=16 replicas=2 rate=12.5/s method=fast"},
		{param.Params{Block: "cpu", GOMAXPROCS: 1, Workers: 2, Replicas: 1}, "block=cpu gomaxprocs=1 workers=2 replicas=1"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestDimensions(t *testing.T) {
	p := param.Params{GOMAXPROCS: 2, Workers: 8, Replicas: 1, Rate: 100, Method: "naive"}
	for _, tc := range []struct {
		d            *param.Dimension
		label, count string
		adding       string
		without      param.Params
	}{
		{param.Workers, "8", "8 workers", "adding workers", param.Params{GOMAXPROCS: 2, Replicas: 1, Rate: 100, Method: "naive"}},
		{param.GOMAXPROCS, "2", "GOMAXPROCS=2", "raising GOMAXPROCS", param.Params{Workers: 8, Replicas: 1, Rate: 100, Method: "naive"}},
		{param.Replicas, "1", "1 replica", "adding replicas", param.Params{GOMAXPROCS: 2, Workers: 8, Rate: 100, Method: "naive"}},
		{param.Rate, "100/s", "100/s", "adding offered rate", param.Params{GOMAXPROCS: 2, Workers: 8, Replicas: 1, Method: "naive"}},
		{param.Method, "naive", "naive", "adding method", param.Params{GOMAXPROCS: 2, Workers: 8, Replicas: 1, Rate: 100}},
	} {
		if got := tc.d.Label(p); got != tc.label {
			t.Errorf("%s: Label = %q, want %q", tc.d.Name, got, tc.label)
		}
		if got := tc.d.Count(tc.d.Label(p)); got != tc.count {
			t.Errorf("%s: Count = %q, want %q", tc.d.Name, got, tc.count)
		}
		if got := tc.d.Adding(); got != tc.adding {
			t.Errorf("%s: Adding = %q, want %q", tc.d.Name, got, tc.adding)
		}
		if got := tc.d.Without(p); got != tc.without {
			t.Errorf("%s: Without = %+v, want %+v", tc.d.Name, got, tc.without)
		}
		if param.Lookup(tc.d.Name) != tc.d {
			t.Errorf("Lookup(%q) did not find it", tc.d.Name)
		}
		if tc.d.Resource != (tc.d == param.Workers || tc.d == param.GOMAXPROCS || tc.d == param.Replicas || tc.d == param.Memory) {
			t.Errorf("%s: Resource = %v", tc.d.Name, tc.d.Resource)
		}
	}
	if param.Lookup("nope") != nil {
		t.Error("Lookup of an unknown name found a dimension")
	}
}

func TestCompare(t *testing.T) {
	a := param.Params{GOMAXPROCS: 1, Workers: 8}
	b := param.Params{GOMAXPROCS: 2, Workers: 1}
	if param.Compare(a, b) >= 0 || param.Compare(b, a) <= 0 || param.Compare(a, a) != 0 {
		t.Error("Compare does not order by GOMAXPROCS first")
	}
}

// TestEveryDimensionIsComplete guards a new dimension: it needs every word
// the analysis and the report use, and Without must clear its value only.
func TestEveryDimensionIsComplete(t *testing.T) {
	full := param.Params{Block: "b", GOMAXPROCS: 2, Workers: 8, Replicas: 3, Memory: 32 << 20, Rate: 100, Method: "fast", Split: 2, Build: "head"}
	// Every dimension but the block, which no series varies, is in series order.
	if len(param.Dimensions) != len(param.Series)+1 || slices.Contains(param.Series, param.Block) {
		t.Fatalf("%d dimensions but %d in series order", len(param.Dimensions), len(param.Series))
	}
	for _, d := range param.Dimensions {
		for field, v := range map[string]string{"Name": d.Name, "Word": d.Word, "Noun": d.Noun, "Lesson": d.Lesson,
			"Axis": d.Axis, "Column": d.Column, "Intro": d.Intro, "Tag": d.Tag, "More": d.More} {
			if v == "" {
				t.Errorf("%s: %s is empty", d.Name, field)
			}
		}
		if !d.Set(full) || d.Set(d.Without(full)) {
			t.Errorf("%s: Set/Without do not see the dimension's own value", d.Name)
		}
		for _, o := range param.Dimensions {
			if o != d && o.Label(d.Without(full)) != o.Label(full) {
				t.Errorf("%s: Without also cleared %s", d.Name, o.Name)
			}
		}
		if d.Resource && !d.Numeric {
			t.Errorf("%s counts resources but is not numeric", d.Name)
		}
		if got := d.Get(d.With(param.Params{}, d.Get(full))); got != d.Get(full) {
			t.Errorf("%s: With then Get gives %v, want %v", d.Name, got, d.Get(full))
		}
		switch d.Kind {
		case param.Count:
			if d.Min < 1 || d.Max < d.Min || !d.Numeric {
				t.Errorf("%s: a Count needs 1 <= Min <= Max and Numeric, got %d..%d", d.Name, d.Min, d.Max)
			}
		case param.PerSecond:
			if !d.Numeric {
				t.Errorf("%s: a rate must be Numeric", d.Name)
			}
		case param.Choice:
			if d.Numeric {
				t.Errorf("%s: a Choice is not Numeric", d.Name)
			}
		}
	}
	// The matrix expands every dimension a scenario can list, once.
	listed := param.Listed()
	if len(param.Expansion) != len(listed) {
		t.Errorf("Expansion has %d dimensions, %d can be listed", len(param.Expansion), len(listed))
	}
	for _, d := range listed {
		if !slices.Contains(param.Expansion, d) {
			t.Errorf("%s is not in Expansion", d.Name)
		}
	}
}

func TestValueText(t *testing.T) {
	for _, tc := range []struct {
		v          param.Value
		text, json string
	}{
		{param.Value{Num: 4}, "4", "4"},
		{param.Value{Num: 12.5}, "12.5", "12.5"},
		{param.Value{Text: "fast"}, "fast", `"fast"`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil || string(b) != tc.json || tc.v.String() != tc.text {
			t.Errorf("%#v: String %q, JSON %s (%v); want %q, %s", tc.v, tc.v.String(), b, err, tc.text, tc.json)
		}
	}
}

// TestKey: keys and selectors write numbers plainly, names as they are.
func TestKey(t *testing.T) {
	p := param.Params{GOMAXPROCS: 2, Workers: 8, Replicas: 1, Rate: 100, Method: "fast", Build: "head"}
	for _, tc := range []struct {
		d    *param.Dimension
		want string
	}{
		{param.Workers, "8"}, {param.GOMAXPROCS, "2"}, {param.Rate, "100"}, {param.Method, "fast"}, {param.Build, "head"},
	} {
		if got := tc.d.Key(p); got != tc.want {
			t.Errorf("%s.Key = %q, want %q", tc.d.Name, got, tc.want)
		}
	}
}

func TestBytesLabel(t *testing.T) {
	for v, want := range map[float64]string{33554432: "32MiB", 1536: "1.5KiB", 1000: "1000B", 1572864: "1.5MiB", 1 << 30: "1GiB", 0: "0B"} {
		if got := param.BytesLabel(v); got != want {
			t.Errorf("BytesLabel(%v) = %q, want %q", v, got, want)
		}
	}
	if got := param.Memory.Label(param.Params{Memory: 64 << 20}); got != "64MiB" {
		t.Errorf("memory label %q", got)
	}
}
