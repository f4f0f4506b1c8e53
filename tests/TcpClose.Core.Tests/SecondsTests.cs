using System;
using Xunit;

namespace TcpClose.Tests
{
    public class SecondsTests
    {
        [Theory]
        [InlineData(double.NaN)]
        [InlineData(double.PositiveInfinity)]
        [InlineData(double.NegativeInfinity)]
        public void NonFinite_BecomesZero_WhichTheCoreRejects(double seconds)
        {
            Assert.Equal(TimeSpan.Zero, Seconds.ToTimeSpan(seconds));
        }

        [Fact]
        public void Huge_ClampsInsteadOfThrowing()
        {
            Assert.Equal(TimeSpan.MaxValue, Seconds.ToTimeSpan(1e300));
            Assert.Equal(TimeSpan.MinValue, Seconds.ToTimeSpan(-1e300));
        }

        [Fact]
        public void Negative_StaysNegative_SoTheErrorShowsTheValueGiven()
        {
            Assert.Equal(TimeSpan.FromSeconds(-5), Seconds.ToTimeSpan(-5));
        }

        [Fact]
        public void Fractions_KeepTickPrecision()
        {
            Assert.Equal(TimeSpan.FromTicks(2_500), Seconds.ToTimeSpan(0.00025));
            Assert.Equal(TimeSpan.FromMilliseconds(1500), Seconds.ToTimeSpan(1.5));
        }
    }
}
