/// One figure (a latency or the lag) over the last window and since start.
package struct FigureSummary: Sendable, Equatable {
    /// The last closed window.
    package var window: HistogramSummary
    /// Everything since the capture started.
    package var cumulative: HistogramSummary

    package init(window: HistogramSummary = HistogramSummary(), cumulative: HistogramSummary = HistogramSummary()) {
        self.window = window
        self.cumulative = cumulative
    }
}
