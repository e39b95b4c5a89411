using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Local;

/// <summary>One command at a time in a folder: the claim is exclusive until its holder lets it go.</summary>
public sealed class FolderClaimTests
{
    [Fact]
    public void A_claimed_folder_cannot_be_claimed_again_until_the_claim_is_released()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dialogs-claim-{Guid.NewGuid():N}");
        try
        {
            using (var first = FolderClaim.TryTake(folder))
            {
                Assert.NotNull(first);
                Assert.Null(FolderClaim.TryTake(folder));
            }

            using var again = FolderClaim.TryTake(folder);
            Assert.NotNull(again);
        }
        finally
        {
            File.Delete(FolderClaim.LockPath(folder));
        }
    }
}
