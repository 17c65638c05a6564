package analysis

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// fmtCoef formats a coefficient with six significant digits; non-finite
// values print as "-".
func fmtCoef(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func fmtCI(ci [2]float64) string {
	if math.IsNaN(ci[0]) || math.IsNaN(ci[1]) {
		return "-"
	}
	return "[" + fmtCoef(ci[0]) + ", " + fmtCoef(ci[1]) + "]"
}

// WriteFitText writes a human-readable summary of the USL and Amdahl fits
// (either may be nil): each model's coefficients with standard error and 95%
// interval, residual standard error, degrees of freedom, R², peak, Amdahl
// limit and flags, then a table of N, measured X and both models' X.
func WriteFitText(w io.Writer, usl, amdahl *Fit, n, x []float64) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	model := func(title, formula string, f *Fit) {
		fmt.Fprintf(tw, "%s: X(N) = %s\n", title, formula)
		if f == nil {
			fmt.Fprintf(tw, "  not fitted\n\n")
			return
		}
		fmt.Fprintf(tw, "  coefficient\testimate\tstd. error\t95%% CI\n")
		fmt.Fprintf(tw, "  sigma (contention)\t%s\t%s\t%s\n", fmtCoef(f.Sigma), fmtCoef(f.SigmaSE), fmtCI(f.SigmaCI))
		if f.Model == "usl" {
			fmt.Fprintf(tw, "  kappa (coherency)\t%s\t%s\t%s\n", fmtCoef(f.Kappa), fmtCoef(f.KappaSE), fmtCI(f.KappaCI))
		}
		fmt.Fprintf(tw, "  lambda (X of one)\t%s\t%s\t%s\n", fmtCoef(f.Lambda), fmtCoef(f.LambdaSE), fmtCI(f.LambdaCI))
		tw.Flush()
		fmt.Fprintf(tw, "  residual standard error %s on %d degrees of freedom; R² %s\n",
			fmtCoef(f.RSE), f.DF, fmtCoef(f.R2))
		if math.IsInf(f.PeakN, 1) {
			fmt.Fprintf(tw, "  peak: none (kappa is 0: throughput keeps rising)\n")
		} else {
			fmt.Fprintf(tw, "  peak: X = %s at N = %s\n", fmtCoef(f.PeakX), fmtCoef(f.PeakN))
		}
		if math.IsInf(f.AmdahlLimit, 1) {
			fmt.Fprintf(tw, "  Amdahl limit (lambda/sigma): none (sigma is 0)\n")
		} else {
			fmt.Fprintf(tw, "  Amdahl limit (lambda/sigma): %s\n", fmtCoef(f.AmdahlLimit))
		}
		flags := "none"
		if len(f.Flags) > 0 {
			flags = strings.Join(f.Flags, "; ")
		}
		fmt.Fprintf(tw, "  flags: %s\n\n", flags)
	}
	model("Universal Scalability Law", "lambda*N / (1 + sigma*(N-1) + kappa*N*(N-1))", usl)
	model("Amdahl's law", "lambda*N / (1 + sigma*(N-1))", amdahl)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write fit: %w", err)
	}
	fmt.Fprintf(tw, "N\tmeasured X\tUSL X\tAmdahl X\n")
	pred := func(f *Fit, v float64) string {
		if f == nil {
			return "-"
		}
		return strconv.FormatFloat(f.Predict(v), 'f', 2, 64)
	}
	for i := range n {
		xi := "-"
		if i < len(x) {
			xi = strconv.FormatFloat(x[i], 'g', -1, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strconv.FormatFloat(n[i], 'g', -1, 64), xi, pred(usl, n[i]), pred(amdahl, n[i]))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write fit: %w", err)
	}
	return nil
}
