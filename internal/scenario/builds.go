package scenario

import (
	"fmt"
	"regexp"

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

// MaxBuilds bounds the builds of one scenario.
const MaxBuilds = 8

var buildNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

// builds decodes `builds:`, a list of {name, path} mappings with distinct
// names.
func (d *decoder) builds(path string, n ast.Node) []Build {
	var out []Build
	seen := map[string]bool{}
	d.each(path, n, "builds, e.g. {name: base, path: ./scalebench-base}", func(e ast.Node) {
		ep := fmt.Sprintf("%s[%d]", path, len(out))
		var b Build
		d.mapping(ep, e, []field{
			{"name", func(p string, v ast.Node) {
				x, ok := d.str(p, v)
				switch {
				case !ok:
				case !buildNameRE.MatchString(x):
					d.rangeErr(p, v, "must be 1 to 40 letters, digits, '.', '-' or '_', e.g. base or head")
				case seen[x]:
					d.rangeErr(p, v, "names another build already; each build needs a name of its own")
				default:
					seen[x] = true
					b.Name = x
				}
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
	if len(out) == 1 || len(out) > MaxBuilds {
		d.rangeErr(path, n, "must list 2 to %d builds to compare", MaxBuilds)
	}
	return out
}
