package results

// Build is one scalebench executable whose worker processes measured the
// cells tagged with its name in an A/B run (`scalebench run --build`).
type Build struct {
	// Name is the value of the build dimension: "base", "head".
	Name string `json:"name"`
	// Path is the executable as given; Self is true for the running binary.
	Path string `json:"path"`
	Self bool   `json:"self,omitempty"`
	// Version, Commit and Protocol are what the executable says of itself.
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Protocol int    `json:"protocol"`
}

// Rounds of measurement a repeat can belong to.
const (
	// RoundMain is the scenario's planned repeats and any added to resolve
	// an inconclusive comparison.
	RoundMain = 0
	// RoundConfirm is the fresh measurement of a pair found worse, which
	// must on its own also say worse before the gate fails.
	RoundConfirm = 1
)
