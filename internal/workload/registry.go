package workload

import (
	"fmt"
	"sync"
)

// registry holds the workloads this executable has, in the order they
// were registered.
var registry struct {
	mu   sync.Mutex
	defs []*Def
}

// Register adds w to this executable's workloads. It fails for an invalid
// workload (no Setup, a bad name, too many stages...) and for a name
// already registered.
func Register(w Registrant) error {
	d, err := w.def()
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	for _, x := range registry.defs {
		if x.Name == d.Name {
			return fmt.Errorf("register: workload %s is registered twice", d.Name)
		}
	}
	registry.defs = append(registry.defs, d)
	return nil
}

// Lookup returns the workload called name ("" is Default); the error names
// the workloads this executable has.
func Lookup(name string) (*Def, error) {
	if name == "" {
		name = Default
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	for _, d := range registry.defs {
		if d.Name == name {
			return d, nil
		}
	}
	return nil, &UnknownError{Name: name, Have: names()}
}

// Names returns the names of the workloads this executable has.
func Names() []string {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return names()
}

func names() []string {
	out := make([]string, len(registry.defs))
	for i, d := range registry.defs {
		out[i] = d.Name
	}
	return out
}

// UnknownError is a workload name an executable does not have.
type UnknownError struct {
	Name string
	// Have are the workloads it has.
	Have []string
	// Where names the executable, when known.
	Where string
}

func (e *UnknownError) Error() string {
	where := "this executable"
	if e.Where != "" {
		where = e.Where
	}
	return fmt.Sprintf("workload %q: %s has no such workload; it has: %s (register it with bench.Register in the executable's main)", e.Name, where, joinNames(e.Have))
}

// Define returns w as a Def without registering it.
func Define(w Registrant) (*Def, error) { return w.def() }
