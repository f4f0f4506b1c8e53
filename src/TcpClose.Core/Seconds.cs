using System;

namespace TcpClose
{
    /// <summary>
    /// Converts the cmdlets' <c>-Timeout</c> seconds (a double, as admins type them) to the TimeSpan
    /// the core takes, without ever throwing: validation belongs to the operation that uses the
    /// timeout, which reports InvalidTimeout with the module's own error id.
    /// </summary>
    public static class Seconds
    {
        /// <summary>
        /// NaN and infinities become <see cref="TimeSpan.Zero"/> (not positive, so rejected as
        /// InvalidTimeout); values beyond TimeSpan's range clamp to its ends; everything else keeps
        /// tick precision (TimeSpan.FromSeconds rounds to milliseconds on .NET Framework and throws
        /// on overflow and NaN).
        /// </summary>
        public static TimeSpan ToTimeSpan(double seconds)
        {
            if (double.IsNaN(seconds) || double.IsInfinity(seconds))
            {
                return TimeSpan.Zero;
            }

            double ticks = seconds * TimeSpan.TicksPerSecond;
            if (ticks >= long.MaxValue)
            {
                return TimeSpan.MaxValue;
            }

            if (ticks <= long.MinValue)
            {
                return TimeSpan.MinValue;
            }

            return TimeSpan.FromTicks((long)ticks);
        }
    }
}
