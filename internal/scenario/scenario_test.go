package scenario

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"

	"github.com/scalebench/scalebench/internal/param"
)

var update = flag.Bool("update", false, "rewrite testdata/invalid/*.golden")

func mustParse(t *testing.T, file string) *Scenario {
	t.Helper()
	path := filepath.Join("testdata", "valid", file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(path, data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return s
}

func TestQuickstart(t *testing.T) {
	s := mustParse(t, "quickstart.yaml")
	want := &Scenario{
		Name:        "quickstart",
		Description: "Threads vs cores on the thumbnail workload",
		Images: Images{
			Latency: Duration(50 * time.Millisecond),
			Jitter:  Duration(10 * time.Millisecond),
			Paths:   []string{"/640x480/ccc/aaa.jpg", "/320x240/fff/000.jpg"},
		},
		Thumbnail: Thumbnail{Width: 64, Height: 64, Filter: "lanczos", Format: "png", Method: "fast"},
		Load: LoadConfig{
			Model:    "closed",
			Duration: Duration(3 * time.Second),
			Warmup:   Duration(time.Second),
			Repeats:  1,
			Bucket:   Duration(250 * time.Millisecond),
			Timeout:  Duration(30 * time.Second),
		},
		Matrix: Matrix{
			"gomaxprocs": nums(1, 2),
			"workers":    nums(1, 2, 4, 8),
			"replicas":   nums(1),
			"method":     texts("fast"),
		},
		Baseline: Params{GOMAXPROCS: 1, Workers: 1, Replicas: 1, Method: "fast"},
		Checks:   Checks{MaxErrorRate: 0.01, LittleTol: 0.10, MinJobs: 100},
		File:     filepath.Join("testdata", "valid", "quickstart.yaml"),
	}
	want.Blocks = []Block{{Images: want.Images, Thumbnail: want.Thumbnail, Load: want.Load, Matrix: want.Matrix}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got  %+v\nwant %+v", s, want)
	}

	cells := s.Cells()
	var got []string
	for _, c := range cells {
		got = append(got, c.String())
	}
	wantCells := []string{
		"gomaxprocs=1 workers=1 replicas=1 method=fast",
		"gomaxprocs=1 workers=2 replicas=1 method=fast",
		"gomaxprocs=1 workers=4 replicas=1 method=fast",
		"gomaxprocs=1 workers=8 replicas=1 method=fast",
		"gomaxprocs=2 workers=1 replicas=1 method=fast",
		"gomaxprocs=2 workers=2 replicas=1 method=fast",
		"gomaxprocs=2 workers=4 replicas=1 method=fast",
		"gomaxprocs=2 workers=8 replicas=1 method=fast",
	}
	if !reflect.DeepEqual(got, wantCells) {
		t.Errorf("Cells:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantCells, "\n"))
	}
	if i := s.BaselineIndex(); i != 0 {
		t.Errorf("BaselineIndex = %d, want 0", i)
	}
	if n := len(s.Plan()); n != 8 {
		t.Errorf("len(Plan) = %d, want 8", n)
	}
	// 8 steps × (1s warmup + 3s + 0.3s).
	if e := s.Estimate(); e != 8*4300*time.Millisecond {
		t.Errorf("Estimate = %v, want 34.4s", e)
	}
	urls := s.Blocks[0].URLs("http://127.0.0.1:8080/")
	wantURLs := []string{"http://127.0.0.1:8080/640x480/ccc/aaa.jpg", "http://127.0.0.1:8080/320x240/fff/000.jpg"}
	if !reflect.DeepEqual(urls, wantURLs) {
		t.Errorf("URLs = %v, want %v", urls, wantURLs)
	}
}

func TestMinimal(t *testing.T) {
	s := mustParse(t, "minimal.yaml")
	if s.Name != "minimal" || s.Load.Model != "closed" || s.Load.Repeats != 5 ||
		s.Load.Duration.D() != 3*time.Second || s.Load.Warmup.D() != time.Second {
		t.Errorf("load defaults wrong: %+v", s.Load)
	}
	if s.Load.Arrival != "" || s.Load.Jobs != 0 || s.Load.Rate != 0 {
		t.Errorf("open/batch fields set for closed model: %+v", s.Load)
	}
	if !reflect.DeepEqual(s.Images.Paths, []string{DefaultImagePath}) || s.Images.Latency != 0 {
		t.Errorf("images defaults wrong: %+v", s.Images)
	}
	if s.Thumbnail != (Thumbnail{Width: 64, Height: 64, Filter: "lanczos", Format: "png", Method: "fast"}) {
		t.Errorf("thumbnail defaults wrong: %+v", s.Thumbnail)
	}
	if !reflect.DeepEqual(s.Matrix.Ints(param.Replicas), []int{1}) || s.Matrix.Floats(param.Rate) != nil {
		t.Errorf("matrix defaults wrong: %+v", s.Matrix)
	}
	cells := s.Cells()
	if len(cells) != 6 {
		t.Fatalf("len(Cells) = %d, want 6", len(cells))
	}
	if cells[3] != (Params{GOMAXPROCS: 2, Workers: 1, Replicas: 1, Method: "fast"}) {
		t.Errorf("Cells[3] = %+v", cells[3])
	}
	// Plan interleaves repeats: A B C … A B C ….
	plan := s.Plan()
	if len(plan) != 30 {
		t.Fatalf("len(Plan) = %d, want 30", len(plan))
	}
	for i, st := range plan {
		if want := (Step{Cell: i % 6, Repeat: i / 6}); st != want {
			t.Fatalf("Plan[%d] = %+v, want %+v", i, st, want)
		}
	}
	if s.BaselineIndex() != 0 || s.Baseline != cells[0] {
		t.Errorf("baseline = %+v (index %d), want first cell", s.Baseline, s.BaselineIndex())
	}
}

func TestOpen(t *testing.T) {
	s := mustParse(t, "open.yaml")
	if !reflect.DeepEqual(s.Matrix.Floats(param.Rate), []float64{50, 100, 200}) {
		t.Errorf("matrix.rate = %v", s.Matrix.Floats(param.Rate))
	}
	if s.Load.Arrival != "uniform" || s.Images.ErrorRate != 0.001 || s.Checks.MaxErrorRate != 0.05 ||
		s.Checks.MinJobs != 50 || s.Checks.LittleTol != 0.10 {
		t.Errorf("decoded values wrong: %+v %+v %+v", s.Load, s.Images, s.Checks)
	}
	cells := s.Cells()
	if len(cells) != 12 { // 1 gomaxprocs × 1 replicas × 2 methods × 3 rates × 2 workers
		t.Fatalf("len(Cells) = %d, want 12", len(cells))
	}
	want := []Params{
		{GOMAXPROCS: 2, Workers: 4, Replicas: 1, Rate: 50, Method: "naive"},
		{GOMAXPROCS: 2, Workers: 8, Replicas: 1, Rate: 50, Method: "naive"},
		{GOMAXPROCS: 2, Workers: 4, Replicas: 1, Rate: 100, Method: "naive"},
	}
	if !reflect.DeepEqual(cells[:3], want) {
		t.Errorf("Cells[:3] = %+v", cells[:3])
	}
	base := Params{GOMAXPROCS: 2, Workers: 4, Replicas: 1, Rate: 100, Method: "fast"}
	if s.Baseline != base {
		t.Errorf("Baseline = %+v, want %+v", s.Baseline, base)
	}
	if i := s.BaselineIndex(); cells[i] != base || i != 8 {
		t.Errorf("BaselineIndex = %d (%+v)", i, cells[i])
	}
	for _, c := range cells {
		if c.Rate <= 0 || c.Method == "" {
			t.Errorf("open cell without rate or method: %+v", c)
		}
	}
	if got := len(s.Plan()); got != 24 {
		t.Errorf("len(Plan) = %d, want 24", got)
	}
}

func TestOpenRateDefault(t *testing.T) {
	s, err := Parse("x.yaml", []byte("name: o\nload: {model: open, rate: \"6000/min\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Load.Rate != 100 || !reflect.DeepEqual(s.Matrix.Floats(param.Rate), []float64{100}) || s.Load.Arrival != "poisson" {
		t.Errorf("load = %+v, matrix = %+v", s.Load, s.Matrix)
	}
	if c := s.Cells(); len(c) != 1 || c[0].Rate != 100 || s.Baseline.Rate != 100 {
		t.Errorf("cells = %+v, baseline = %+v", c, s.Baseline)
	}
}

func TestBatch(t *testing.T) {
	s := mustParse(t, "batch.yaml")
	if s.Load.Jobs != 40 || s.Load.Model != "batch" || s.Load.Warmup != 0 || s.Load.Repeats != 3 {
		t.Errorf("load = %+v", s.Load)
	}
	if s.Thumbnail != (Thumbnail{Width: 128, Height: 96, Filter: "catmullrom", Format: "jpeg", Method: "fast", Output: "out/thumbs"}) {
		t.Errorf("thumbnail = %+v", s.Thumbnail)
	}
	cells := s.Cells()
	if len(cells) != 8 {
		t.Fatalf("len(Cells) = %d, want 8", len(cells))
	}
	base := Params{GOMAXPROCS: 1, Workers: 2, Replicas: 1, Method: "fast"}
	if s.Baseline != base || s.BaselineIndex() != 1 {
		t.Errorf("Baseline = %+v at %d", s.Baseline, s.BaselineIndex())
	}
	if cells[4] != (Params{GOMAXPROCS: 1, Workers: 1, Replicas: 2, Method: "fast"}) {
		t.Errorf("Cells[4] = %+v", cells[4])
	}
	// Per step: 0.3s start + 1s + 100ms × ceil(40 / (workers × replicas)).
	var want time.Duration
	for _, c := range cells {
		rounds := (40 + c.Workers*c.Replicas - 1) / (c.Workers * c.Replicas)
		want += 3 * (1300*time.Millisecond + time.Duration(rounds)*100*time.Millisecond)
	}
	if got := s.Estimate(); got != want {
		t.Errorf("Estimate = %v, want %v", got, want)
	}
}

func TestBatchJobsDefault(t *testing.T) {
	s, err := Parse("x.yaml", []byte("name: b\nload: {model: batch}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Load.Jobs != DefaultJobs {
		t.Errorf("jobs = %d, want %d", s.Load.Jobs, DefaultJobs)
	}
}

func TestAnchorsAndTags(t *testing.T) {
	src := `name: !!str 2024
sizes: &sizes [1, 2, 4]
`
	if _, err := Parse("a.yaml", []byte(src)); err == nil || !strings.Contains(err.Error(), "a.yaml:2: sizes: unknown field") {
		t.Errorf("err = %v", err)
	}
	src = `name: !!str 2024
images: {latency: &lat 20ms, jitter: *lat}
matrix:
  workers: &w [1, 2]
baseline: {workers: 2}
`
	s, err := Parse("a.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "2024" || s.Images.Jitter.D() != 20*time.Millisecond || s.BaselineIndex() != 1 {
		t.Errorf("got %+v", s)
	}
}

func TestNullMeansDefault(t *testing.T) {
	s, err := Parse("n.yaml", []byte("name: n\nimages:\nload:\n  duration:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Load.Duration.D() != DefaultDuration || len(s.Images.Paths) != 1 {
		t.Errorf("got %+v", s)
	}
}

// TestInvalid compares each invalid scenario's error with its golden file.
// Run with -update to rewrite the golden files.
func TestInvalid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "invalid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid scenarios: %v", err)
	}
	lineRE := regexp.MustCompile(`^[a-z0-9_]+\.yaml:[1-9][0-9]*: `)
	moreRE := regexp.MustCompile(`^[a-z0-9_]+\.yaml: [0-9]+ more problems not shown$`)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(name, data)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", s)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid: %v", err)
			}
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Errorf("error is not an *Error with problems: %T", err)
			}
			got := err.Error() + "\n"
			lines := strings.Split(strings.TrimSpace(got), "\n")
			for i, l := range lines {
				if !lineRE.MatchString(l) && (i < len(lines)-1 || !moreRE.MatchString(l)) {
					t.Errorf("line lacks FILE:LINE: prefix: %q", l)
				}
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("error text:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"100": 100, "100/s": 100, " 2.5 / ms ": 2500, "6000/min": 100, "3600/h": 1, "1e3/s": 1000,
	} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "/s", "100/", "100/fortnight", "fast", "inf", "NaN/s"} {
		if _, err := ParseRate(in); err == nil {
			t.Errorf("ParseRate(%q) succeeded", in)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"lattency", "latency", 1}, {"clsoed", "closed", 1}, {"", "abc", 3}, {"matrx", "matrix", 1}, {"abc", "abc", 0}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
	if got := closest("colour", []string{"model", "duration"}); got != "" {
		t.Errorf("closest(colour) = %q, want none", got)
	}
}

// TestInputLimits checks inputs too big to commit as testdata: each is
// rejected with its limit named, before the parser could build a tree
// (a tree 100,000 levels deep would take tens of GB).
func TestInputLimits(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"nesting", "name: x\nload: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n",
			"big.yaml:2: nested more than 32 levels deep"},
		{"nesting maps", "name: x\nload: " + strings.Repeat("{a: ", 50_000) + "1" + strings.Repeat("}", 50_000) + "\n",
			"big.yaml:2: nested more than 32 levels deep"},
		{"nesting unclosed", "name: x\nload: " + strings.Repeat("[", 200_000) + "\n", "big.yaml:2: nested more than 32 levels deep"},
		{"block nesting", "name: x\nload:\n" + strings.Repeat("  - ", 60_000) + "x\n", "big.yaml:3: nested more than 32 levels deep"},
		{"same-column nesting", strings.Repeat("-\n0:\n", 12_000) + "-\n", "big.yaml:33: nested more than 32 levels deep"},
		{"size", "name: x\ndescription: " + strings.Repeat("x", MaxFileSize) + "\n",
			"big.yaml: file is larger than 256 KiB, the limit for a scenario file"},
		{"tokens", "name: x\nmatrix:\n  workers: [" + strings.Repeat("1,", MaxTokens/2) + "1]\n",
			"big.yaml:3: more than 50000 YAML tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("big.yaml", []byte(tc.data))
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %.300v\nwant prefix %q", err, tc.want)
			}
		})
	}
	// ReadFile stops at the limit, even on a file that never ends.
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, []byte("name: x\n#"+strings.Repeat("x", MaxFileSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "256 KiB") {
		t.Errorf("ReadFile(big) = %v", err)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := ReadFile("/dev/zero"); !errors.Is(err, ErrInvalid) {
			t.Errorf("ReadFile(/dev/zero) = %v", err)
		}
	}
}

// TestNestingBound checks that nesting counts at least half the levels the
// parser builds, and not many more, for the shapes YAML can nest in.
func TestNestingBound(t *testing.T) {
	for _, src := range []string{
		"a: [[1], {b: [2]}]\n",
		"a:\n  b:\n    c:\n      - d: 1\n        e: [1]\n",
		"a:\n- b:\n  - c:\n    - 1\n",
		"- - - - x\n",
		"? a\n: - b\n",
		"0: \n- 0:",
		"-\n0:\n-",
		strings.Repeat("-\n0:\n", 20) + "-",
		"workers:\n- 1\n- 2\ngomaxprocs:\n- 1\nreplicas:\n- 1\n",
		strings.Repeat("- &a\n0:\n", 20) + "-",
		strings.Repeat("- !t\n0:\n", 20) + "-",
		strings.Repeat("0: &a\n-\n", 20) + "-",
		strings.Repeat("-\n? 0\n:\n", 20) + "-",
		strings.Repeat("- # c\n0:\n", 20) + "-",
		"a:\n- - b:\n    - c\n",
		"- a: b\n  c:\n  - d: e\n",
		"a: \"multi\n  line\"\nb:\n  c: 1\n",
		"a: |\n  [[[[\n  '\nb: [[[1]]]\n",
	} {
		tokens := lexer.Tokenize(src)
		_, depth := nesting(tokens)
		f, err := parser.Parse(tokens, 0)
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		if got := treeDepth(f.Docs[0].Body); got > 2*depth || depth > 2*got+1 {
			t.Errorf("%q: parser nests %d levels, nesting says %d", src, got, depth)
		}
	}
}

// TestFew checks the bound on the collections messages render.
func TestFew(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"[1, 2, 3]", true},
		{"{a: 1, b: [2, 3]}", true},
		{"[" + strings.Repeat("1, ", 40) + "1]", false},
		{"[[" + strings.Repeat("1, ", 40) + "1]]", false},
	} {
		f, err := parser.ParseBytes([]byte(tc.src), 0)
		if err != nil {
			t.Fatal(err)
		}
		budget := 16
		if got := few(f.Docs[0].Body, &budget); got != tc.want {
			t.Errorf("few(%.30s) = %v, want %v", tc.src, got, tc.want)
		}
	}
}

func TestBOM(t *testing.T) {
	s := mustParse(t, "bom.yaml")
	if s.Name != "bom" || !reflect.DeepEqual(s.Matrix.Ints(param.Workers), []int{1, 2}) {
		t.Errorf("got %+v", s)
	}
}

// TestEstimateSaturates checks that the estimate of the longest plan the
// limits allow does not wrap around.
func TestEstimateSaturates(t *testing.T) {
	src := "name: long\nimages: {latency: 1h}\nload: {model: batch, jobs: 1000000, repeats: 1000, warmup: 1h, cooldown: 1h}\n"
	s, err := Parse("long.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if e := s.Estimate(); e != time.Duration(math.MaxInt64) {
		t.Errorf("Estimate = %v, want the largest duration", e)
	}
	src = "name: long\nload: {duration: 1h, warmup: 1h, cooldown: 1h, repeats: 1000}\nmatrix: {workers: [" + ints(1, 100) + "], gomaxprocs: [" + ints(1, 100) + "]}\n"
	if s, err = Parse("long.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
	if e := s.Estimate(); e <= 0 || e != time.Duration(math.MaxInt64) {
		t.Errorf("Estimate = %v, want the largest duration", e)
	}
}

// ints lists lo..hi as YAML flow items.
func ints(lo, hi int) string {
	var b strings.Builder
	for i := lo; i <= hi; i++ {
		if i > lo {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// treeDepth counts the collections on the deepest path of n.
func treeDepth(n ast.Node) int {
	switch t := n.(type) {
	case *ast.DocumentNode:
		return treeDepth(t.Body)
	case *ast.AnchorNode:
		return treeDepth(t.Value)
	case *ast.TagNode:
		return treeDepth(t.Value)
	case *ast.SequenceNode:
		d := 0
		for _, v := range t.Values {
			d = max(d, treeDepth(v))
		}
		return d + 1
	case *ast.MappingNode:
		d := 0
		for _, v := range t.Values {
			d = max(d, treeDepth(v.Key), treeDepth(v.Value))
		}
		return d + 1
	case *ast.MappingValueNode:
		return max(treeDepth(t.Key), treeDepth(t.Value)) + 1
	case *ast.MappingKeyNode:
		return treeDepth(t.Value)
	}
	return 0
}

func TestBlocks(t *testing.T) {
	s := mustParse(t, "blocks.yaml")
	if len(s.Blocks) != 2 {
		t.Fatalf("%d blocks, want 2", len(s.Blocks))
	}
	io, cpu := s.Blocks[0], s.Blocks[1]
	// Each block starts from the top-level sections and overrides what it sets.
	for _, tc := range []struct {
		what      string
		got, want any
	}{
		{"io name", io.Name, "io-bound"},
		{"io latency", io.Images.Latency, Duration(50 * time.Millisecond)},
		{"io jitter (top level)", io.Images.Jitter, Duration(5 * time.Millisecond)},
		{"io paths (top level)", io.Images.Paths, []string{"/320x240/fff/000.jpg"}},
		{"io method (top level)", io.Matrix.Texts(param.Method), []string{"fast"}},
		{"io gomaxprocs (top level)", io.Matrix.Ints(param.GOMAXPROCS), []int{1}},
		{"io workers", io.Matrix.Ints(param.Workers), []int{1, 4}},
		{"io duration (top level)", io.Load.Duration, Duration(time.Second)},
		{"cpu latency", cpu.Images.Latency, Duration(0)},
		{"cpu paths", cpu.Images.Paths, []string{"/1920x1080/ccc/aaa.jpg"}},
		{"cpu thumbnail", cpu.Thumbnail, Thumbnail{Width: 32, Height: 32, Filter: "lanczos", Format: "png", Method: "naive"}},
		{"cpu method (from its thumbnail)", cpu.Matrix.Texts(param.Method), []string{"naive"}},
		{"cpu duration", cpu.Load.Duration, Duration(2 * time.Second)},
		{"cpu repeats (whole run)", cpu.Load.Repeats, 2},
		{"top level unchanged", s.Images.Latency, Duration(20 * time.Millisecond)},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.what, tc.got, tc.want)
		}
	}

	var got []string
	for _, c := range s.Cells() {
		got = append(got, c.String())
	}
	want := []string{
		"block=io-bound gomaxprocs=1 workers=1 replicas=1 method=fast",
		"block=io-bound gomaxprocs=1 workers=4 replicas=1 method=fast",
		"block=cpu-bound gomaxprocs=1 workers=2 replicas=1 method=naive",
		"block=cpu-bound gomaxprocs=2 workers=2 replicas=1 method=naive",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The baseline names its block; its other fields default to that block's
	// matrix.
	if want := (Params{Block: "cpu-bound", GOMAXPROCS: 1, Workers: 2, Replicas: 1, Method: "naive"}); s.Baseline != want || s.BaselineIndex() != 2 {
		t.Errorf("baseline = %+v at %d, want %+v at 2", s.Baseline, s.BaselineIndex(), want)
	}
	// The plan interleaves all cells of all blocks: A B C D A B C D.
	plan := s.Plan()
	if len(plan) != 8 {
		t.Fatalf("len(Plan) = %d, want 8", len(plan))
	}
	for i, st := range plan {
		if want := (Step{Cell: i % 4, Repeat: i / 4}); st != want {
			t.Errorf("Plan[%d] = %+v, want %+v", i, st, want)
		}
	}
	// Each block's cells are estimated with its own window.
	io1, cpu2 := 1300*time.Millisecond, 2300*time.Millisecond
	if got, want := s.Estimate(), 2*(2*io1+2*cpu2); got != want {
		t.Errorf("Estimate = %v, want %v", got, want)
	}
	if s.Block("cpu-bound") != &s.Blocks[1] || s.Block("nope") != nil {
		t.Error("Block does not find blocks by name")
	}
	if u := cpu.URLs("http://h/"); !reflect.DeepEqual(u, []string{"http://h/1920x1080/ccc/aaa.jpg"}) {
		t.Errorf("URLs = %v", u)
	}
}

// TestBlockSettingsBecomeItsMatrix checks that a method or rate a block sets
// in its own sections wins over the top-level matrix, unless the block's
// matrix lists values itself.
func TestBlockSettingsBecomeItsMatrix(t *testing.T) {
	s, err := Parse("x.yaml", []byte(`name: x
load: {model: open, rate: 10}
matrix: {rate: [5, 10], method: [naive, fast]}
blocks:
  - name: a
  - name: b
    load: {rate: 20}
    thumbnail: {method: fast}
  - name: c
    load: {rate: 20}
    thumbnail: {method: fast}
    matrix: {rate: [30], method: [naive]}
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []Matrix{
		{"gomaxprocs": nums(1), "workers": nums(1), "replicas": nums(1), "rate": nums(5, 10), "method": texts("naive", "fast")},
		{"gomaxprocs": nums(1), "workers": nums(1), "replicas": nums(1), "rate": nums(20), "method": texts("fast")},
		{"gomaxprocs": nums(1), "workers": nums(1), "replicas": nums(1), "rate": nums(30), "method": texts("naive")},
	} {
		if got := s.Blocks[i].Matrix; !reflect.DeepEqual(got, want) {
			t.Errorf("block %d matrix = %+v, want %+v", i, got, want)
		}
	}
	if want := (Params{Block: "a", GOMAXPROCS: 1, Workers: 1, Replicas: 1, Rate: 5, Method: "naive"}); s.Baseline != want {
		t.Errorf("baseline = %+v, want the first block's first cell %+v", s.Baseline, want)
	}
}

// nums lists numeric values of a dimension.
func nums(xs ...float64) []param.Value {
	out := make([]param.Value, len(xs))
	for i, x := range xs {
		out[i] = param.Value{Num: x}
	}
	return out
}

// texts lists named values of a dimension.
func texts(xs ...string) []param.Value {
	out := make([]param.Value, len(xs))
	for i, x := range xs {
		out[i] = param.Value{Text: x}
	}
	return out
}

// TestEveryListedDimensionDecodes lists two values of each dimension a
// matrix may list, as its kind writes them, and expects two cells that
// differ along it: the decoder and the expansion follow param.Dimensions,
// so a new dimension needs no change here.
func TestEveryListedDimensionDecodes(t *testing.T) {
	for _, dim := range param.Listed() {
		var a, b param.Value
		var written string
		switch dim.Kind {
		case param.Count:
			a, b = param.Value{Num: float64(dim.Min)}, param.Value{Num: float64(dim.Min + 1)}
			written = fmt.Sprintf("[%d, %d]", dim.Min, dim.Min+1)
		case param.PerSecond:
			a, b = param.Value{Num: 5}, param.Value{Num: 0.5}
			written = `[5, "30/min"]`
		case param.Choice:
			a, b = param.Value{Text: Choices(dim)[0]}, param.Value{Text: Choices(dim)[1]}
			written = fmt.Sprintf("[%s, %s]", Choices(dim)[0], Choices(dim)[1])
		case param.Bytes:
			a, b = param.Value{Num: 32 << 20}, param.Value{Num: 64 << 20}
			written = `[33554432, "64MiB"]`
		default:
			t.Fatalf("%s: unknown kind %d", dim.Name, dim.Kind)
		}
		src := fmt.Sprintf("name: x\nload: {model: open, rate: 1}\nmatrix: {%s: %s}\nbaseline: {%s: %s}\n",
			dim.Name, written, dim.Name, dim.ValueText(b))
		s, err := Parse("x.yaml", []byte(src))
		if err != nil {
			t.Errorf("%s: %v", dim.Name, err)
			continue
		}
		cells := s.Cells()
		if len(cells) != 2 || dim.Get(cells[0]) != a || dim.Get(cells[1]) != b || dim.Without(cells[0]) != dim.Without(cells[1]) {
			t.Errorf("%s: cells %v, want two differing only in %v, %v", dim.Name, cells, a, b)
		}
		if dim.Get(s.Baseline) != b || s.BaselineIndex() != 1 {
			t.Errorf("%s: baseline %v at %d, want the second cell", dim.Name, s.Baseline, s.BaselineIndex())
		}
		bad := fmt.Sprintf("name: x\nload: {model: open, rate: 1}\nmatrix: {%s: [%s, %s]}\n", dim.Name, written[1:len(written)-1], written[1:len(written)-1])
		if _, err := Parse("x.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "x.yaml:3: matrix."+dim.Name+": values must be distinct") {
			t.Errorf("%s: repeated values give %v", dim.Name, err)
		}
	}
}

// TestShippedScenarios parses every scenario under scenarios/ and checks
// that the quickstart and the lesson hold the blocks README.md and docs/scenarios.md describe,
// within their run-time budgets by the estimate.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "scenarios", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	parsed := map[string]*Scenario{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(f, data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		parsed[s.Name] = s
	}
	q, l := parsed["quickstart"], parsed["lesson"]
	if q == nil || l == nil {
		t.Fatal("quickstart or lesson missing")
	}
	if est := q.Estimate(); est > 60*time.Second {
		t.Errorf("quickstart estimated at %v, over a minute", est)
	}
	if est := l.Estimate(); est > 90*time.Second {
		t.Errorf("lesson estimated at %v, over 90 s", est)
	}
	io, cpu := q.Block("io-bound"), q.Block("cpu-bound")
	if io == nil || cpu == nil || io.Images.Latency == 0 || len(io.Matrix[param.Workers.Name]) < 3 ||
		cpu.Images.Latency != 0 || !reflect.DeepEqual(cpu.Matrix.Ints(param.GOMAXPROCS), []int{1, 2}) {
		t.Errorf("quickstart blocks: io-bound %+v, cpu-bound %+v", io, cpu)
	}
	threads, out, perf := l.Block("threads"), l.Block("scale-out"), l.Block("performance")
	switch {
	case threads == nil || out == nil || perf == nil:
		t.Fatalf("lesson blocks: %+v", l.Blocks)
	case len(threads.Images.Paths) != 5 || threads.Load.Jobs != 5 || threads.Images.Latency < Duration(250*time.Millisecond) ||
		!reflect.DeepEqual(threads.Matrix.Ints(param.Workers), []int{1, 5}):
		t.Errorf("threads block: %+v", threads)
	case out.Images.Latency != 0 || !reflect.DeepEqual(out.Matrix.Ints(param.Replicas), []int{1, 2}) ||
		!reflect.DeepEqual(out.Matrix.Ints(param.GOMAXPROCS), []int{1}):
		t.Errorf("scale-out block: %+v", out)
	case !reflect.DeepEqual(perf.Matrix.Texts(param.Method), []string{"naive", "fast"}) ||
		len(perf.cells()) != 2:
		t.Errorf("performance block: %+v", perf)
	}
	// The article step by step: its three steps with their mechanisms and
	// formulas, its example and better code, in about a minute.
	art := parsed["article"]
	if art == nil {
		t.Fatal("article missing")
	}
	if est := art.Estimate(); est > 75*time.Second {
		t.Errorf("article estimated at %v, over about a minute", est)
	}
	mem, servers, split := art.Block("step-1-memory"), art.Block("step-2-scale-out"), art.Block("step-3-split")
	example, better := art.Block("example-five-urls"), art.Block("better-code")
	switch {
	case mem == nil || servers == nil || split == nil || example == nil || better == nil:
		t.Fatalf("article blocks: %+v", art.Blocks)
	case len(mem.Matrix[param.Memory.Name]) != 2 || mem.Matrix[param.Memory.Name][1].Num != 2*mem.Matrix[param.Memory.Name][0].Num ||
		mem.Images.Bandwidth == 0 || mem.Reference == nil || mem.Reference.Formula != "180/120 = 1.5X":
		t.Errorf("step 1 (memory ×2, waiting on the network): %+v", mem)
	case !reflect.DeepEqual(servers.Matrix.Ints(param.Replicas), []int{1, 2}) || servers.Reference == nil || servers.Reference.Formula != "350/180 = 1.9X":
		t.Errorf("step 2 (replicas ×2): %+v", servers)
	case !reflect.DeepEqual(split.Matrix.Ints(param.Split), []int{1, 2}) || !reflect.DeepEqual(split.Matrix.Ints(param.GOMAXPROCS), []int{2}) ||
		split.Reference == nil || split.Reference.Formula != "2/1 = 2X":
		t.Errorf("step 3 (split 1 → 2 at GOMAXPROCS 2): %+v", split)
	case len(example.Images.Paths) != 5 || !reflect.DeepEqual(example.Matrix.Ints(param.Workers), []int{1, 5}) || example.Reference == nil:
		t.Errorf("the five URLs: %+v", example)
	case !reflect.DeepEqual(better.Matrix.Texts(param.Method), []string{"naive", "fast"}):
		t.Errorf("better code: %+v", better)
	}
}

func TestBuilds(t *testing.T) {
	sc, err := Parse("b.yaml", []byte(`name: t
images: {paths: [/64x48.jpg]}
matrix: {gomaxprocs: [1], workers: [1]}
builds:
  - {name: base, path: ./scalebench-base}
  - {name: head, path: self}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Build{{Name: "base", Path: "./scalebench-base"}, {Name: "head", Path: "self"}}
	if !slices.Equal(sc.Builds, want) {
		t.Errorf("builds %+v, want %+v", sc.Builds, want)
	}
}

// TestChoices: every Choice dimension has the workload's choices to pick
// from.
func TestChoices(t *testing.T) {
	for _, d := range param.Dimensions {
		if d.Kind == param.Choice && len(Choices(d)) < 2 {
			t.Errorf("%s: a Choice needs choices, got %v", d.Name, Choices(d))
		}
	}
}
