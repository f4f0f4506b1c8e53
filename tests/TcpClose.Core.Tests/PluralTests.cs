using Xunit;

namespace TcpClose.Tests
{
    public class PluralTests
    {
        [Theory]
        [InlineData(0, "0 connections")]
        [InlineData(1, "1 connection")]
        [InlineData(2, "2 connections")]
        public void Of_CountsTheNoun(long count, string expected)
        {
            Assert.Equal(expected, Plural.Of(count, "connection"));
        }

        [Fact]
        public void Word_AgreesWithTheCount()
        {
            Assert.Equal("holds", Plural.Word(1, "holds", "hold"));
            Assert.Equal("hold", Plural.Word(3, "holds", "hold"));
        }

        [Fact]
        public void Ports_NamesOneOrMany()
        {
            Assert.Equal("port 80", Plural.Ports(new[] { 80 }));
            Assert.Equal("ports 80, 443", Plural.Ports(new[] { 80, 443 }));
        }
    }
}
