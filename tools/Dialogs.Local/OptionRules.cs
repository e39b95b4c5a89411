using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace Dialogs.Local;

/// <summary>
/// Bounds on an option's value, checked as the command line is parsed (the benchmark's, the load verifier's): a value
/// out of range is refused with the option's name before anything starts, as a value that is no number is.
/// </summary>
public static class OptionRules
{
    public static Option<T> AtLeast<T>(this Option<T> option, T minimum) where T : INumber<T>, IMinMaxValue<T> =>
        option.Within(minimum, T.MaxValue, $"{option.Name} must be at least {minimum}.");

    public static Option<T> Within<T>(this Option<T> option, T minimum, T maximum) where T : INumber<T> =>
        option.Within(minimum, maximum, $"{option.Name} must be from {minimum} to {maximum}.");

    private static Option<T> Within<T>(this Option<T> option, T minimum, T maximum, string error) where T : INumber<T>
    {
        option.Validators.Add(result =>
        {
            // A value that is no number is the parser's error to report; reading it here would throw.
            if (result.Tokens is [.., var token] && !T.TryParse(token.Value, CultureInfo.InvariantCulture, out _))
            {
                return;
            }

            if (result.GetValueOrDefault<T>() is var value && (value < minimum || value > maximum))
            {
                result.AddError(error);
            }
        });
        return option;
    }
}
