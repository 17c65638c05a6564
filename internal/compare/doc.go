// Package compare decides, cell by cell and metric by metric, whether a
// head measurement is worse than, better than, the same as, or
// inconclusive against a base measurement; turns that into a CI gate with
// exit codes; checks absolute thresholds; and writes the formats CI tools
// read (text, Markdown, JSON, CSV, JUnit XML, GitHub Actions annotations,
// and the Go benchmark format benchstat reads).
//
// Its engine works on plain samples (one value per repeat for point
// metrics, bootstrap replicates for curve metrics), so it can be tested
// on its own; Samples, BuildRounds and Export derive those samples from a
// results file and its analysis, and CompareBuilds and Analyze judge an
// A/B run's builds. The metrics and thresholds it speaks of are package
// metric's.
//
// # Verdicts
//
// For each pair, both medians get an order-statistic interval, the ratio
// head/base a bootstrap interval over the repeats, and the two sides a
// two-sided Mann–Whitney p-value. The p-values of the rows the gate looks
// at are corrected together with Holm–Bonferroni (the other rows form a
// family of their own). Then, with tol the metric's tolerance:
//
//   - worse or better: the adjusted p-value is below α and the median
//     changed by more than tol, in the metric's bad or good direction;
//   - same: the ratio's interval lies inside [1−tol, 1+tol], which needs at
//     least 6 repeats per side (equivalence shown, not assumed);
//   - inconclusive: neither, with a hint: more repeats (and about how
//     many), or a longer measurement window when the repeats vary too much
//     for more of them to help.
//
// Fewer than 4 repeats per side cannot reach p < 0.05; fewer than 6 give
// no 95% interval. Both are warned about, per row, and the Result warns
// when the repeat counts cannot reach significance after the correction.
//
// Curve metrics (USL σ and κ, peak N*, efficiency at the largest N) come as
// independent bootstrap replicates of base and head; the i-th head over the
// i-th base samples the ratio, whose percentiles give its interval and
// whose mass beyond 1 gives the p-value. They gate only when named in
// --fail-on.
package compare
