using System.Text;
using Xunit;

namespace TcpClose.Tests
{
    public class TextEncodingsTests
    {
        [Theory]
        [InlineData("UTF8", 65001)]
        [InlineData("utf8", 65001)]
        [InlineData("ASCII", 20127)]
        [InlineData("Unicode", 1200)]
        [InlineData("BigEndianUnicode", 1201)]
        [InlineData("UTF32", 12000)]
        [InlineData("Latin1", 28591)]
        public void Get_MapsEveryAllowedName(string name, int codePage)
        {
            Assert.Equal(codePage, TextEncodings.Get(name).CodePage);
        }

        [Fact]
        public void Get_NullMeansUtf8()
        {
            Assert.Equal(65001, TextEncodings.Get(null).CodePage);
        }

        [Theory]
        [InlineData("UTF8")]
        [InlineData("Unicode")]
        [InlineData("BigEndianUnicode")]
        [InlineData("UTF32")]
        public void Get_EncodingsWriteNoByteOrderMark(string name)
        {
            // A BOM would reach the peer as data in the middle of the stream.
            Assert.Empty(TextEncodings.Get(name).GetPreamble());
        }

        [Fact]
        public void Get_Latin1_RoundTripsEveryByte()
        {
            var bytes = new byte[256];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)i;
            var latin1 = TextEncodings.Get("Latin1");
            Assert.Equal(bytes, latin1.GetBytes(latin1.GetString(bytes)));
        }

        [Fact]
        public void Get_UnknownName_ThrowsNamingAllowedValues()
        {
            var ex = Assert.Throws<System.ArgumentException>(() => TextEncodings.Get("EBCDIC"));
            Assert.Contains("EBCDIC", ex.Message);
            foreach (var allowed in TextEncodings.Names)
            {
                Assert.Contains(allowed, ex.Message);
            }
        }

        [Fact]
        public void Get_Utf8_EncodesWithoutBom()
        {
            Assert.Equal(new byte[] { 0x68, 0xC3, 0xA9 }, TextEncodings.Get("UTF8").GetBytes("hé"));
        }
    }
}
