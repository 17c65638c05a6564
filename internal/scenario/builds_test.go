package scenario

import (
	"strings"
	"testing"
)

// TestCheckBuilds: the rule a scenario's builds: and run's --build flags
// share.
func TestCheckBuilds(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string // "" for none
	}{
		{nil, ""},
		{[]string{"base", "head"}, ""},
		{[]string{"v1", "v2"}, ""},
		{[]string{"base", "head", "v3"}, ""},
		{[]string{"head"}, "one build given (head); an A/B run needs two, e.g. base and head"},
		{[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}, "9 builds given; an A/B run measures 2 to 8"},
		{[]string{"base", "base"}, `build "base" given twice`},
		{[]string{"base", "a b"}, `build name "a b": want 1 to 40 letters`},
		{[]string{"", "head"}, `build name ""`},
		{[]string{strings.Repeat("x", 41), "head"}, "want 1 to 40"},
		{[]string{"v1", "v2", "head"}, "3 builds (v1, v2, head), but not one named base and one named head"},
	} {
		err := CheckBuilds(tc.names)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckBuilds(%q) = %v, want %q", tc.names, err, tc.want)
		}
	}
}
