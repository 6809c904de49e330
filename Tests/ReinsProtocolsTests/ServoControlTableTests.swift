import ReinsProtocols
import Testing

/// The control tables drivers name registers in: units they convert with, and the block one group
/// read gets.
@Suite struct ServoControlTableTests {
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) }

    @Test func theDynamixelTableConvertsCountsToSIUnits() {
        // Present Velocity counts 0.229 rpm, Present Current 1 mA, voltages 0.1 V, Return Delay 2 µs.
        #expect(Self.close(DynamixelXSeries.presentVelocity.measurement(-35), -35 * 0.229 * 2 * Double.pi / 60))
        #expect(Self.close(DynamixelXSeries.presentCurrent.measurement(-120), -0.12))
        #expect(Self.close(DynamixelXSeries.presentVoltage.measurement(121), 12.1))
        #expect(DynamixelXSeries.presentTemperature.measurement(41) == 41)
        #expect(Self.close(DynamixelXSeries.returnDelayTime.measurement(250), 500e-6))
        #expect(DynamixelXSeries.presentVelocity.unit.symbol == "rad/s" && DynamixelXSeries.presentPosition.unit == .count)
    }

    @Test func theFeetechTableConvertsCountsToSIUnits() {
        // Velocities count encoder steps per second, Present Current 6.5 mA, Present Voltage 0.1 V.
        #expect(Self.close(FeetechSTS.presentVelocity.measurement(-1024), -Double.pi / 2))
        #expect(Self.close(FeetechSTS.presentCurrent.measurement(100), 0.65))
        #expect(Self.close(FeetechSTS.presentVoltage.measurement(74), 7.4))
        #expect(FeetechSTS.presentTemperature.measurement(38) == 38)
        #expect(FeetechSTS.presentVelocity.signBit == 15)
    }

    static func presentValuesInsideTheBlock<Table: ServoControlTable>(_: Table.Type) -> [String] {
        let start = Int(Table.presentStateBlockAddress), end = start + Int(Table.presentStateBlockLength)
        return [Table.presentPosition, Table.presentVelocity, Table.presentCurrent, Table.presentVoltage, Table.presentTemperature]
            .filter { Int($0.address) >= start && Int($0.address) + $0.size <= end }
            .map(\.name)
    }

    @Test func onePresentStateBlockHoldsEveryPresentValue() {
        #expect(DynamixelXSeries.presentStateBlockAddress == 126 && DynamixelXSeries.presentStateBlockLength == 21)
        #expect(Self.presentValuesInsideTheBlock(DynamixelXSeries.self).count == 5)
        #expect(DynamixelXSeries.presentStateBlockDescription == "registers 126-146")
        #expect(FeetechSTS.presentStateBlockAddress == 56 && FeetechSTS.presentStateBlockLength == 15)
        #expect(Self.presentValuesInsideTheBlock(FeetechSTS.self).count == 5)
        #expect(FeetechSTS.presentStateBlockDescription == "registers 56-70")
    }

    @Test func theHardwareErrorRegisterIsTheOneEachSeriesReportsIn() {
        #expect(DynamixelXSeries.hardwareErrorStatus.address == 70)
        #expect(FeetechSTS.hardwareErrorStatus.address == 65)
    }
}
