/// A dense row-major matrix of floats: spectrograms are frames × bins.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        self.rows = rows
        self.columns = columns
        values = [Float](repeating: value, count: rows * columns)
    }

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "matrix size mismatch")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    public func row(_ index: Int) -> ArraySlice<Float> {
        values[(index * columns)..<((index + 1) * columns)]
    }
}
