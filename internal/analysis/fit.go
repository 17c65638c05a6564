package analysis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Errors returned by FitUSL and FitAmdahl.
var (
	// ErrFewPoints reports data with fewer than three distinct N.
	ErrFewPoints = errors.New("need at least 3 distinct N to fit")
	// ErrData reports data a fit cannot use (mismatched lengths, N <= 0,
	// negative or non-finite values, throughput all zero).
	ErrData = errors.New("invalid fit data")
)

// Fit is a least-squares fit of the Universal Scalability Law
//
//	X(N) = λN / (1 + σ(N−1) + κN(N−1))
//
// to throughput X measured at concurrency (or cores, or replicas) N: σ is
// contention (the serial fraction), κ coherency (crosstalk), λ the
// throughput of one unit without either. Amdahl's law is the same with κ
// fixed at 0.
//
// SE fields are standard errors from the Jacobian at the solution; CI fields
// are 95% Wald intervals from the t distribution with DF degrees of freedom,
// clipped to the parameter bounds. Non-finite values (an unbounded peak,
// undefined standard errors) marshal as JSON null.
type Fit struct {
	Model    string     `json:"model"` // "usl" or "amdahl"
	Sigma    float64    `json:"sigma"`
	SigmaSE  float64    `json:"sigma_se"`
	SigmaCI  [2]float64 `json:"sigma_ci"`
	Kappa    float64    `json:"kappa"`
	KappaSE  float64    `json:"kappa_se"`
	KappaCI  [2]float64 `json:"kappa_ci"`
	Lambda   float64    `json:"lambda"`
	LambdaSE float64    `json:"lambda_se"`
	LambdaCI [2]float64 `json:"lambda_ci"`
	RSE      float64    `json:"rse"` // residual standard error
	DF       int        `json:"df"`  // degrees of freedom = observations - free parameters
	// PeakN is the N of maximum throughput, sqrt((1-σ)/κ); +Inf when κ = 0.
	PeakN float64 `json:"peak_n"`
	// PeakX is X(PeakN); +Inf when κ = 0.
	PeakX float64 `json:"peak_x"`
	// AmdahlLimit is λ/σ, the throughput approached as N grows when κ = 0;
	// +Inf when σ = 0.
	AmdahlLimit float64  `json:"amdahl_limit"`
	R2          float64  `json:"r2"`
	Flags       []string `json:"flags,omitempty"`
}

// Predict returns the model's throughput at n: λn / (1 + σ(n−1) + κn(n−1)).
func (f *Fit) Predict(n float64) float64 {
	if f == nil {
		return math.NaN()
	}
	return predict(f.Sigma, f.Kappa, f.Lambda, n)
}

func predict(sigma, kappa, lambda, n float64) float64 {
	return lambda * n / (1 + sigma*(n-1) + kappa*n*(n-1))
}

// jsonFloat marshals non-finite values as null.
type jsonFloat float64

func (v jsonFloat) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// MarshalJSON encodes f with its struct tags, writing non-finite numbers as
// null.
func (f Fit) MarshalJSON() ([]byte, error) {
	pair := func(p [2]float64) [2]jsonFloat { return [2]jsonFloat{jsonFloat(p[0]), jsonFloat(p[1])} }
	return json.Marshal(struct {
		Model       string       `json:"model"`
		Sigma       jsonFloat    `json:"sigma"`
		SigmaSE     jsonFloat    `json:"sigma_se"`
		SigmaCI     [2]jsonFloat `json:"sigma_ci"`
		Kappa       jsonFloat    `json:"kappa"`
		KappaSE     jsonFloat    `json:"kappa_se"`
		KappaCI     [2]jsonFloat `json:"kappa_ci"`
		Lambda      jsonFloat    `json:"lambda"`
		LambdaSE    jsonFloat    `json:"lambda_se"`
		LambdaCI    [2]jsonFloat `json:"lambda_ci"`
		RSE         jsonFloat    `json:"rse"`
		DF          int          `json:"df"`
		PeakN       jsonFloat    `json:"peak_n"`
		PeakX       jsonFloat    `json:"peak_x"`
		AmdahlLimit jsonFloat    `json:"amdahl_limit"`
		R2          jsonFloat    `json:"r2"`
		Flags       []string     `json:"flags,omitempty"`
	}{
		f.Model,
		jsonFloat(f.Sigma), jsonFloat(f.SigmaSE), pair(f.SigmaCI),
		jsonFloat(f.Kappa), jsonFloat(f.KappaSE), pair(f.KappaCI),
		jsonFloat(f.Lambda), jsonFloat(f.LambdaSE), pair(f.LambdaCI),
		jsonFloat(f.RSE), f.DF,
		jsonFloat(f.PeakN), jsonFloat(f.PeakX), jsonFloat(f.AmdahlLimit), jsonFloat(f.R2),
		f.Flags,
	})
}

// FitJSON returns {"usl": ..., "amdahl": ...}, indented; a nil fit is null.
func FitJSON(usl, amdahl *Fit) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	err := enc.Encode(struct {
		USL    *Fit `json:"usl"`
		Amdahl *Fit `json:"amdahl"`
	}{usl, amdahl})
	if err != nil {
		return nil, fmt.Errorf("encode fit: %w", err)
	}
	return buf.Bytes(), nil
}

// FitUSL fits the Universal Scalability Law to throughput x measured at n by
// bounded nonlinear least squares: σ and κ in [0, 1], λ > 0. Repeated N
// values are separate observations (they count towards DF). It needs at
// least three distinct N.
//
// Flags note what a reader should know: a coefficient at a bound (e.g.
// "kappa at bound 0": no coherency cost measurable), "fewer than 6 points"
// (distinct N), "superlinear: efficiency > 1 at N=..." (measured throughput
// more than 2% above linear from the smallest N, which the model cannot
// follow), "no residual degrees of freedom" and "did not converge".
func FitUSL(n, x []float64) (*Fit, error) {
	f, err := fit(n, x, true)
	if err != nil {
		return nil, fmt.Errorf("fit usl: %w", err)
	}
	return f, nil
}

// FitAmdahl fits Amdahl's law, X(N) = λN / (1 + σ(N−1)), the USL with κ
// fixed at 0, with the same rules as FitUSL.
func FitAmdahl(n, x []float64) (*Fit, error) {
	f, err := fit(n, x, false)
	if err != nil {
		return nil, fmt.Errorf("fit amdahl: %w", err)
	}
	return f, nil
}

// Parameter indices and bounds.
const (
	pSigma = iota
	pKappa
	pLambda
)

var (
	lowerBound = [3]float64{0, 0, 1e-300}
	upperBound = [3]float64{1, 1, math.Inf(1)}
)

type problem struct {
	n, x []float64
	free [3]bool
}

func (p *problem) sse(th [3]float64) float64 {
	s := 0.0
	for i := range p.n {
		r := predict(th[0], th[1], th[2], p.n[i]) - p.x[i]
		s += r * r
	}
	return s
}

// jacobian returns J (rows: observations; columns: σ, κ, λ) and the
// residuals model - data at th.
func (p *problem) jacobian(th [3]float64) (j [][3]float64, r []float64) {
	j = make([][3]float64, len(p.n))
	r = make([]float64, len(p.n))
	for i, n := range p.n {
		d := 1 + th[0]*(n-1) + th[1]*n*(n-1)
		m := th[2] * n / d
		r[i] = m - p.x[i]
		j[i][pSigma] = -m * (n - 1) / d
		j[i][pKappa] = -m * n * (n - 1) / d
		j[i][pLambda] = n / d
	}
	return j, r
}

// bestLambda is the least-squares λ for fixed σ and κ.
func (p *problem) bestLambda(sigma, kappa float64) float64 {
	num, den := 0.0, 0.0
	for i, n := range p.n {
		f := n / (1 + sigma*(n-1) + kappa*n*(n-1))
		num += f * p.x[i]
		den += f * f
	}
	if den == 0 || num <= 0 {
		return 1
	}
	return num / den
}

func clamp(th [3]float64) [3]float64 {
	for i := range th {
		th[i] = math.Min(math.Max(th[i], lowerBound[i]), upperBound[i])
	}
	return th
}

// solve runs a projected Levenberg–Marquardt iteration from start: steps
// are taken in the parameters not held at a bound by their gradient, then
// projected back into the box.
func (p *problem) solve(start [3]float64) (th [3]float64, sse float64, converged bool) {
	th = clamp(start)
	sse = p.sse(th)
	mu := 1e-3
	for iter := 0; iter < 2000; iter++ {
		jac, r := p.jacobian(th)
		var g [3]float64
		var h [3][3]float64
		for i := range jac {
			for a := 0; a < 3; a++ {
				g[a] += jac[i][a] * r[i]
				for b := 0; b < 3; b++ {
					h[a][b] += jac[i][a] * jac[i][b]
				}
			}
		}
		var idx []int
		for a := 0; a < 3; a++ {
			if !p.free[a] {
				continue
			}
			if th[a] <= lowerBound[a] && g[a] > 0 || th[a] >= upperBound[a] && g[a] < 0 {
				continue // held at its bound
			}
			idx = append(idx, a)
		}
		if len(idx) == 0 {
			return th, sse, true
		}
		k := len(idx)
		maxDiag := 0.0
		for _, a := range idx {
			maxDiag = math.Max(maxDiag, h[a][a])
		}
		accepted := false
		for ; mu < 1e20; mu *= 10 {
			A := mat.NewDense(k, k, nil)
			rhs := mat.NewVecDense(k, nil)
			for u, a := range idx {
				for v, b := range idx {
					A.Set(u, v, h[a][b])
				}
				A.Set(u, u, h[a][a]+mu*math.Max(h[a][a], 1e-12*maxDiag))
				rhs.SetVec(u, -g[a])
			}
			var step mat.VecDense
			if err := step.SolveVec(A, rhs); err != nil {
				continue
			}
			next := th
			for u, a := range idx {
				next[a] += step.AtVec(u)
			}
			next = clamp(next)
			s := p.sse(next)
			if s < sse {
				small := true
				for a := range next {
					if math.Abs(next[a]-th[a]) > 1e-12*(math.Abs(th[a])+1e-12) {
						small = false
					}
				}
				gain := sse - s
				th, sse = next, s
				mu = math.Max(mu/10, 1e-15)
				accepted = true
				if small || gain <= 1e-16*sse {
					return th, sse, true
				}
				break
			}
		}
		if !accepted {
			// No step reduces the sum of squares: a (local) minimum.
			return th, sse, true
		}
	}
	return th, sse, false
}

func validate(n, x []float64) error {
	if len(n) != len(x) {
		return fmt.Errorf("%w: %d N values but %d throughputs", ErrData, len(n), len(x))
	}
	distinct := map[float64]bool{}
	allZero := true
	for i := range n {
		if !(n[i] > 0) || math.IsInf(n[i], 0) {
			return fmt.Errorf("%w: N must be a positive number, got %v", ErrData, n[i])
		}
		if !(x[i] >= 0) || math.IsInf(x[i], 0) {
			return fmt.Errorf("%w: throughput must be a number >= 0, got %v at N=%v", ErrData, x[i], n[i])
		}
		if x[i] > 0 {
			allZero = false
		}
		distinct[n[i]] = true
	}
	if len(distinct) < 3 {
		return fmt.Errorf("%w, got %d", ErrFewPoints, len(distinct))
	}
	if allZero {
		return fmt.Errorf("%w: throughput is zero everywhere", ErrData)
	}
	return nil
}

func fit(n, x []float64, usl bool) (*Fit, error) {
	if err := validate(n, x); err != nil {
		return nil, err
	}
	p := &problem{n: n, x: x, free: [3]bool{true, usl, true}}
	kappas := []float64{0}
	if usl {
		kappas = []float64{0, 1e-4, 1e-3, 1e-2, 0.1}
	}
	best := [3]float64{}
	bestSSE := math.Inf(1)
	converged := false
	for _, s0 := range []float64{0, 0.01, 0.05, 0.2, 0.5} {
		for _, k0 := range kappas {
			th, s, ok := p.solve([3]float64{s0, k0, p.bestLambda(s0, k0)})
			if s < bestSSE {
				best, bestSSE, converged = th, s, ok
			}
		}
	}
	return summarize(p, best, bestSSE, converged, usl), nil
}

// summarize computes the fit statistics at the solution th.
func summarize(p *problem, th [3]float64, sse float64, converged, usl bool) *Fit {
	f := &Fit{Model: "amdahl", Sigma: th[pSigma], Kappa: th[pKappa], Lambda: th[pLambda]}
	params := []int{pSigma, pLambda}
	if usl {
		f.Model = "usl"
		params = []int{pSigma, pKappa, pLambda}
	}
	m := len(p.n)
	f.DF = m - len(params)
	nan := math.NaN()
	f.RSE = nan
	if f.DF > 0 {
		f.RSE = math.Sqrt(sse / float64(f.DF))
	}
	se := [3]float64{nan, nan, nan}
	if !usl {
		se[pKappa] = 0
	}
	if f.DF > 0 {
		jac, _ := p.jacobian(th)
		k := len(params)
		jtj := mat.NewSymDense(k, nil)
		for u, a := range params {
			for v, b := range params[u:] {
				s := 0.0
				for i := range jac {
					s += jac[i][a] * jac[i][b]
				}
				jtj.SetSym(u, u+v, s)
			}
		}
		var chol mat.Cholesky
		var inv mat.SymDense
		if chol.Factorize(jtj) && chol.InverseTo(&inv) == nil {
			for u, a := range params {
				se[a] = math.Sqrt(inv.At(u, u)) * f.RSE
			}
		}
	}
	f.SigmaSE, f.KappaSE, f.LambdaSE = se[pSigma], se[pKappa], se[pLambda]
	t := nan
	if f.DF > 0 {
		t = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(f.DF)}.Quantile(0.975)
	}
	ci := func(a int) [2]float64 {
		if math.IsNaN(se[a]) || math.IsNaN(t) {
			return [2]float64{nan, nan}
		}
		return [2]float64{
			math.Max(th[a]-t*se[a], lowerBound[a]),
			math.Min(th[a]+t*se[a], upperBound[a]),
		}
	}
	f.SigmaCI, f.LambdaCI = ci(pSigma), ci(pLambda)
	f.KappaCI = [2]float64{0, 0}
	if usl {
		f.KappaCI = ci(pKappa)
	}
	if f.LambdaCI[0] == lowerBound[pLambda] {
		f.LambdaCI[0] = 0
	}

	f.PeakN, f.PeakX = math.Inf(1), math.Inf(1)
	if f.Kappa > 0 {
		f.PeakN = math.Sqrt((1 - f.Sigma) / f.Kappa)
		f.PeakX = f.Predict(f.PeakN)
	}
	f.AmdahlLimit = math.Inf(1)
	if f.Sigma > 0 {
		f.AmdahlLimit = f.Lambda / f.Sigma
	}

	mean := 0.0
	for _, v := range p.x {
		mean += v
	}
	mean /= float64(m)
	sst := 0.0
	for _, v := range p.x {
		sst += (v - mean) * (v - mean)
	}
	f.R2 = nan
	if sst > 0 {
		f.R2 = 1 - sse/sst
	}

	if f.Sigma == 0 {
		f.Flags = append(f.Flags, "sigma at bound 0")
	} else if f.Sigma == 1 {
		f.Flags = append(f.Flags, "sigma at bound 1")
	}
	if usl {
		if f.Kappa == 0 {
			f.Flags = append(f.Flags, "kappa at bound 0")
		} else if f.Kappa == 1 {
			f.Flags = append(f.Flags, "kappa at bound 1")
		}
	}
	ns, xs := medianByN(p.n, p.x)
	if len(ns) < 6 {
		f.Flags = append(f.Flags, "fewer than 6 points")
	}
	var super []string
	for i := 1; i < len(ns); i++ {
		if xs[0] > 0 && (xs[i]/xs[0])/(ns[i]/ns[0]) > 1.02 {
			super = append(super, strconv.FormatFloat(ns[i], 'g', -1, 64))
		}
	}
	if len(super) > 0 {
		f.Flags = append(f.Flags, "superlinear: efficiency > 1 at N="+strings.Join(super, ", "))
	}
	if f.DF <= 0 {
		f.Flags = append(f.Flags, "no residual degrees of freedom")
	}
	if !converged {
		f.Flags = append(f.Flags, "did not converge")
	}
	return f
}

// medianByN returns the distinct N in ascending order and the median
// throughput at each.
func medianByN(n, x []float64) (ns, xs []float64) {
	by := map[float64][]float64{}
	for i := range n {
		by[n[i]] = append(by[n[i]], x[i])
	}
	for k := range by {
		ns = append(ns, k)
	}
	slices.Sort(ns)
	for _, k := range ns {
		v := slices.Clone(by[k])
		slices.Sort(v)
		m := len(v)
		if m%2 == 1 {
			xs = append(xs, v[m/2])
		} else {
			xs = append(xs, (v[m/2-1]+v[m/2])/2)
		}
	}
	return ns, xs
}
