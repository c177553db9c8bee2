/// Running medians, the core of harmonic/percussive separation: along time a
/// harmonic partial is steady, along frequency a drum hit is flat.
public enum MedianFilter {
    /// Median over `width` neighbouring frames for every bin.
    public static func alongTime(_ matrix: Matrix, width: Int) -> Matrix {
        var out = Matrix(rows: matrix.rows, columns: matrix.columns)
        var line = [Float](repeating: 0, count: matrix.rows)
        var filtered = [Float](repeating: 0, count: matrix.rows)
        for column in 0..<matrix.columns {
            for row in 0..<matrix.rows { line[row] = matrix.values[row * matrix.columns + column] }
            running(line, width: width, into: &filtered)
            for row in 0..<matrix.rows { out.values[row * matrix.columns + column] = filtered[row] }
        }
        return out
    }

    /// Median over `width` neighbouring bins in every frame.
    public static func alongFrequency(_ matrix: Matrix, width: Int) -> Matrix {
        var out = Matrix(rows: matrix.rows, columns: matrix.columns)
        var line = [Float](repeating: 0, count: matrix.columns)
        var filtered = [Float](repeating: 0, count: matrix.columns)
        for row in 0..<matrix.rows {
            let base = row * matrix.columns
            for column in 0..<matrix.columns { line[column] = matrix.values[base + column] }
            running(line, width: width, into: &filtered)
            for column in 0..<matrix.columns { out.values[base + column] = filtered[column] }
        }
        return out
    }

    /// Centred running median of odd `width` (even widths grow by one), edges
    /// padded with the nearest value. A sorted window is updated by one
    /// removal and one insertion per step: O(n · width) with tiny constants.
    public static func running(_ input: [Float], width: Int, into output: inout [Float]) {
        let n = input.count
        guard n > 0 else { return }
        let half = max(0, width / 2)
        let size = 2 * half + 1
        func value(_ i: Int) -> Float { input[min(max(i, 0), n - 1)] }
        var window = (-half...half).map { value($0) }.sorted()
        output[0] = window[half]
        guard n > 1 else { return }
        for i in 1..<n {
            let leaving = value(i - half - 1), entering = value(i + half)
            if leaving != entering {
                window.remove(at: lowerBound(window, leaving))
                window.insert(entering, at: lowerBound(window, entering))
            }
            output[i] = window[size / 2]
        }
    }

    private static func lowerBound(_ sorted: [Float], _ value: Float) -> Int {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
