package workload

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// Def is a registered workload with its options type erased: options are
// passed as pointers to values of the workload's options type (NewOptions
// makes one), and travel as JSON.
type Def struct {
	Name        string
	Description string
	// Stages are the workload's stages; never empty (a workload that
	// names none has one, "job").
	Stages   []Stage
	Sections []string
	Method   string

	typ       reflect.Type // the options type O
	defaults  reflect.Value
	check     func(any) error
	setup     func(context.Context, *Process, any) (Instance, error)
	errorKind func(error) string
	summary   func(any) string
	svc       *service
	// timed is true when the harness times the one implicit stage.
	timed bool
}

// service is a Service with its settings type erased.
type service struct {
	settings func(any) (json.RawMessage, error)
	check    func(settings json.RawMessage) error
	start    func(ctx context.Context, settings json.RawMessage) (Server, []string, error)
}

// Registrant is a Workload of some options type, as Register takes it.
type Registrant interface {
	def() (*Def, error)
}

// nameRE is what a workload's and a stage's name may hold.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Reserved are the scenario's own top-level fields, which no workload
// section may shadow.
var Reserved = []string{"name", "description", "workload", "load", "matrix", "baseline", "checks", "cluster", "thresholds", "blocks", "builds"}

func (w Workload[O]) def() (*Def, error) {
	if !nameRE.MatchString(w.Name) {
		return nil, fmt.Errorf("workload name %q: want 1 to 64 letters, digits, - and _", w.Name)
	}
	fail := func(format string, args ...any) (*Def, error) {
		return nil, fmt.Errorf("workload %s: %s", w.Name, fmt.Sprintf(format, args...))
	}
	if w.Setup == nil {
		return fail("no Setup: a workload must say how a worker process runs its jobs")
	}
	d := &Def{
		Name: w.Name, Description: w.Description,
		Stages: slices.Clone(w.Stages), Sections: slices.Clone(w.Sections), Method: w.Method,
		typ: reflect.TypeFor[O](), defaults: reflect.ValueOf(&w.Defaults).Elem(),
		errorKind: w.ErrorKind,
	}
	if len(d.Stages) == 0 {
		d.Stages, d.timed = []Stage{{Name: "job"}}, true
	}
	if len(d.Stages) > MaxStages {
		return fail("%d stages, at most %d", len(d.Stages), MaxStages)
	}
	seen := map[string]bool{}
	for _, s := range d.Stages {
		if !nameRE.MatchString(s.Name) || seen[s.Name] {
			return fail("stage name %q: want distinct names of letters, digits, - and _", s.Name)
		}
		if s.Name == QueueStage {
			return fail("stage name %q: the time in queue, reported beside the stages; call it something else", s.Name)
		}
		seen[s.Name] = true
		if s.Kind != "" && s.Kind != CPU && s.Kind != IO && s.Kind != Wait {
			return fail("stage %s: kind %q, want %q, %q, %q or none", s.Name, s.Kind, CPU, IO, Wait)
		}
	}
	for _, s := range d.Sections {
		if slices.Contains(Reserved, s) {
			return fail("section %q is a scenario field of its own", s)
		}
		if _, err := FieldByPath(d.typ, s); err != nil {
			return fail("section %q: %v", s, err)
		}
	}
	if d.Method != "" {
		f, err := FieldByPath(d.typ, d.Method)
		if err != nil || f.Type.Kind() != reflect.String {
			return fail("method %q: want the path of a string option", d.Method)
		}
	}
	if w.Check != nil {
		d.check = func(p any) error { return w.Check(p.(*O)) }
	}
	setup := w.Setup
	d.setup = func(ctx context.Context, p *Process, opts any) (Instance, error) { return setup(ctx, p, *opts.(*O)) }
	if w.Summary != nil {
		d.summary = func(p any) string { return w.Summary(*p.(*O)) }
	}
	if w.Service != nil {
		svc := w.Service.erase()
		d.svc = &svc
	}
	return d, nil
}

func (s *Service[O, S]) erase() service {
	return service{
		settings: func(opts any) (json.RawMessage, error) {
			b, err := json.Marshal(s.Settings(*opts.(*O)))
			return b, err
		},
		check: func(raw json.RawMessage) error {
			var set S
			if err := decodeStrict(raw, &set); err != nil {
				return fmt.Errorf("service settings: %w", err)
			}
			if s.Check != nil {
				return s.Check(&set)
			}
			return nil
		},
		start: func(ctx context.Context, raw json.RawMessage) (Server, []string, error) {
			var set S
			if err := decodeStrict(raw, &set); err != nil {
				return Server{}, nil, fmt.Errorf("service settings: %w", err)
			}
			srv, err := s.Start(ctx, set)
			if err != nil {
				return Server{}, nil, err
			}
			var in []string
			if s.Inputs != nil {
				in = s.Inputs(set, srv.URL)
			} else {
				in = []string{srv.URL}
			}
			return srv, in, nil
		},
	}
}

// NewOptions returns a pointer to a copy of the workload's default options.
func (d *Def) NewOptions() any {
	p := reflect.New(d.typ)
	p.Elem().Set(deepCopy(d.defaults))
	return p.Interface()
}

// OptionsType is the workload's options type.
func (d *Def) OptionsType() reflect.Type { return d.typ }

// Copy returns a pointer to a deep copy of the options opts points to.
func (d *Def) Copy(opts any) any {
	p := reflect.New(d.typ)
	p.Elem().Set(deepCopy(reflect.ValueOf(opts).Elem()))
	return p.Interface()
}

// Check runs the workload's Check on opts (a pointer from NewOptions).
func (d *Def) Check(opts any) error {
	if d.check == nil {
		return nil
	}
	return d.check(opts)
}

// EncodeOptions returns opts as they travel to a worker process.
func (d *Def) EncodeOptions(opts any) (json.RawMessage, error) {
	b, err := json.Marshal(opts)
	if err != nil {
		return nil, fmt.Errorf("workload %s: encode options: %w", d.Name, err)
	}
	return b, nil
}

// DecodeOptions decodes options as EncodeOptions wrote them onto the
// defaults, refusing fields the options type lacks, and checks them.
func (d *Def) DecodeOptions(raw json.RawMessage) (any, error) {
	opts := d.NewOptions()
	if len(raw) > 0 {
		if err := decodeStrict(raw, opts); err != nil {
			return nil, fmt.Errorf("workload %s: decode options: %w", d.Name, err)
		}
	}
	if err := d.Check(opts); err != nil {
		return nil, fmt.Errorf("workload %s: options: %w", d.Name, err)
	}
	return opts, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the value")
	}
	return nil
}

// Setup sets up the workload in this process with opts.
func (d *Def) Setup(ctx context.Context, p *Process, opts any) (Instance, error) {
	return d.setup(ctx, p, opts)
}

// Timed reports whether the harness times the workload's one stage,
// because the workload named none.
func (d *Def) Timed() bool { return d.timed }

// ErrorKind names the kind of a failed job's error.
func (d *Def) ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	if d.errorKind != nil {
		if k := d.errorKind(err); k != "" {
			return k
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return "timeout"
	}
	return "error"
}

// Summary says what opts change for the reader of a report ("" without
// a Summary).
func (d *Def) Summary(opts any) string {
	if d.summary == nil {
		return ""
	}
	return d.summary(opts)
}

// HasService reports whether the workload's jobs talk to a Service.
func (d *Def) HasService() bool { return d.svc != nil }

// ServiceSettings returns the settings of the service opts call for, as
// JSON: what makes one server differ from another, and what an agent
// starts its own from.
func (d *Def) ServiceSettings(opts any) (json.RawMessage, error) {
	if d.svc == nil {
		return nil, nil
	}
	b, err := d.svc.settings(opts)
	if err != nil {
		return nil, fmt.Errorf("workload %s: service settings: %w", d.Name, err)
	}
	return b, nil
}

// CheckService checks service settings an agent was sent.
func (d *Def) CheckService(settings json.RawMessage) error {
	if d.svc == nil {
		return fmt.Errorf("workload %s has no service", d.Name)
	}
	return d.svc.check(settings)
}

// StartService starts the workload's service with settings (as
// ServiceSettings gave them) and returns it and the jobs' inputs on it.
func (d *Def) StartService(ctx context.Context, settings json.RawMessage) (Server, []string, error) {
	if d.svc == nil {
		return Server{}, nil, fmt.Errorf("workload %s has no service", d.Name)
	}
	srv, in, err := d.svc.start(ctx, settings)
	if err != nil {
		return Server{}, nil, fmt.Errorf("workload %s: start service: %w", d.Name, err)
	}
	if srv.Close == nil {
		srv.Close = func() error { return nil }
	}
	return srv, in, nil
}

// StageNames returns the names of the workload's stages.
func (d *Def) StageNames() []string {
	out := make([]string, len(d.Stages))
	for i, s := range d.Stages {
		out[i] = s.Name
	}
	return out
}

// String is the workload's name.
func (d *Def) String() string { return d.Name }

// joinNames lists names for messages.
func joinNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
