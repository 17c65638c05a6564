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
	// ExtraWork, set only by scalebench calibrate, is the synthetic
	// slowdown this build's jobs ran with: that fraction more CPU work.
	ExtraWork float64 `json:"extra_work,omitempty"`
}

// Rounds of measurement a repeat can belong to.
const (
	// RoundMain is the scenario's planned repeats and any added to resolve
	// an inconclusive comparison.
	RoundMain = 0
	// RoundConfirm is a round added to a pair found worse (--confirm),
	// judged together with the pair's earlier rounds.
	RoundConfirm = 1
)

// Gate is how an A/B run's builds were compared and gated, as given on the
// command line, so that report and compare rebuild the same verdict.
type Gate struct {
	// FailOn is the --fail-on spec; GateOnly restricts the gate to its
	// metrics; FailOnInconclusive fails an inconclusive gated row.
	FailOn             string `json:"fail_on,omitempty"`
	GateOnly           bool   `json:"gate_only,omitempty"`
	FailOnInconclusive bool   `json:"fail_on_inconclusive,omitempty"`
	// UntilResolved is the time budget in seconds (0: the planned rounds
	// only); Confirm the rounds added to a pair found worse.
	UntilResolved float64 `json:"until_resolved,omitempty"`
	Confirm       int     `json:"confirm,omitempty"`
	// Stop is why the gate asked for no more rounds: worse, resolved,
	// budget or planned.
	Stop string `json:"stop,omitempty"`
	// Method names the comparison that judged the run, with its version.
	Method string `json:"method,omitempty"`
	// Slices is the nominal slice length in seconds of a sliced run (run
	// --slices), whose rounds are pairs of slices; 0 when each round
	// measured whole windows.
	Slices float64 `json:"slices,omitempty"`
}
