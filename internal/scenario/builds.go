package scenario

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Build is one scalebench executable a scenario measures every cell with,
// for a comparison of builds in one run (`builds:`); `run --build`
// overrides the list.
type Build struct {
	// Name is the build's value in the build dimension: base, head, v1...
	Name string `json:"name"`
	// Path is the executable, relative to the scenario file's directory
	// unless absolute; "self" is the scalebench that runs the scenario.
	Path string `json:"path"`
}

// MaxBuilds bounds the builds of one A/B run.
const MaxBuilds = 8

var buildNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

// CheckBuildName reports why name cannot name a build, or nil: a build's
// name is 1 to 40 letters, digits, '-', '_' or '.', to read well in a
// cell's label and a file name.
func CheckBuildName(name string) error {
	if !buildNameRE.MatchString(name) {
		return fmt.Errorf("build name %q: want 1 to 40 letters, digits, '-', '_' or '.', e.g. base or head", name)
	}
	return nil
}

// CheckBuilds reports why names cannot be the builds of one A/B run, or
// nil for none: every name valid (CheckBuildName) and given once, 2 to
// MaxBuilds of them, and among three or more one named base and one named
// head, the two the gate compares. A scenario's builds: and run's --build
// flags are both checked with it.
func CheckBuilds(names []string) error {
	seen := map[string]bool{}
	for _, n := range names {
		if err := CheckBuildName(n); err != nil {
			return err
		}
		if seen[n] {
			return errBuildTwice(n)
		}
		seen[n] = true
	}
	return checkBuildCount(names)
}

// errBuildTwice says name names two builds.
func errBuildTwice(name string) error {
	return fmt.Errorf("build %q given twice; each build needs a name of its own", name)
}

// checkBuildCount checks how many builds of distinct names an A/B run
// has, and that among three or more two are base and head.
func checkBuildCount(names []string) error {
	switch n := len(names); {
	case n == 1:
		return fmt.Errorf("one build given (%s); an A/B run needs two, e.g. base and head", names[0])
	case n > MaxBuilds:
		return fmt.Errorf("%d builds given; an A/B run measures 2 to %d", n, MaxBuilds)
	case n > 2 && !(slices.Contains(names, "base") && slices.Contains(names, "head")):
		return fmt.Errorf("%d builds (%s), but not one named base and one named head: the gate compares build base with build head; name two of them so",
			n, strings.Join(names, ", "))
	}
	return nil
}

// builds decodes `builds:`, a list of {name, path} mappings whose names
// CheckBuilds accepts.
func (d *decoder) builds(path string, n ast.Node) []Build {
	var out []Build
	seen := map[string]bool{}
	fail := func(p string, v ast.Node, err error) {
		d.bad[p] = true
		d.addf(d.lineOf(v), p, "%v", err)
	}
	d.each(path, n, "builds, e.g. {name: base, path: ./scalebench-base}", func(e ast.Node) {
		ep := fmt.Sprintf("%s[%d]", path, len(out))
		var b Build
		d.mapping(ep, e, []field{
			{"name", func(p string, v ast.Node) {
				x, ok := d.str(p, v)
				if !ok {
					return
				}
				if err := CheckBuildName(x); err != nil {
					fail(p, v, err)
					return
				}
				if seen[x] {
					fail(p, v, errBuildTwice(x))
					return
				}
				seen[x] = true
				b.Name = x
			}},
			{"path", func(p string, v ast.Node) {
				if x, ok := d.str(p, v); ok && x == "" {
					d.rangeErr(p, v, "must name a scalebench executable, or self")
				} else {
					b.Path = x
				}
			}},
		})
		if b.Name == "" || b.Path == "" {
			if !d.bad[ep+".name"] && !d.bad[ep+".path"] {
				d.rangeErr(ep, e, "a build needs both a name and a path, e.g. {name: base, path: ./scalebench-base}")
			}
		}
		out = append(out, b)
	})
	var names []string
	for _, b := range out {
		names = append(names, b.Name)
	}
	// A build without a valid name is told of already; the count is
	// checked whatever the names, which builds are base and head only
	// when every name is known.
	valid := !slices.Contains(names, "")
	if err := checkBuildCount(names); err != nil && (valid || len(names) > MaxBuilds) {
		fail(path, n, err)
	}
	return out
}
