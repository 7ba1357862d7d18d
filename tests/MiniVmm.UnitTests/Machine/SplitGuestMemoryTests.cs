using MiniVmm.Machine;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Machine;

/// <summary>RAM in two pieces around a hole, as a guest bigger than 3 GiB has it (scaled down: 64 KiB, hole, 64 KiB at 1 MiB).</summary>
public sealed class SplitGuestMemoryTests
{
    private const ulong Piece = 0x1_0000, AboveStart = 0x10_0000;

    private readonly ArrayGuestMemory _below = new((int)Piece);
    private readonly ArrayGuestMemory _above = new((int)Piece);
    private readonly SplitGuestMemory _memory;

    public SplitGuestMemoryTests()
    {
        _memory = new SplitGuestMemory(_below, new GuestAddress(AboveStart), _above);
    }

    [Fact]
    public void Addresses_reach_the_piece_they_lie_in()
    {
        _memory.WriteU32(new GuestAddress(0x10), 0x1111_1111);
        _memory.WriteU32(new GuestAddress(AboveStart + Piece - 4), 0x2222_2222); // the last bytes of RAM
        Assert.Equal(0x1111_1111u, _below.ReadU32(new GuestAddress(0x10)));
        Assert.Equal(0x2222_2222u, _above.ReadU32(new GuestAddress(Piece - 4)));
        Assert.Equal(2 * Piece, _memory.SizeBytes);
        Assert.Equal(AboveStart + Piece, _memory.End.Value);
    }

    [Theory]
    [InlineData(Piece - 4, 4ul, true)]               // end of the lower piece
    [InlineData(Piece - 4, 8ul, false)]              // straddles into the hole
    [InlineData(Piece, 4ul, false)]                  // in the hole
    [InlineData(AboveStart - 4, 8ul, false)]         // straddles out of the hole
    [InlineData(AboveStart, Piece, true)]            // the whole upper piece
    [InlineData(AboveStart + Piece - 4, 4ul, true)]  // last bytes, beyond SizeBytes as a number
    [InlineData(AboveStart + Piece, 1ul, false)]     // past the end
    [InlineData(ulong.MaxValue - 1, 4ul, false)]     // near 2^64: refused, never wrapped
    public void Ranges_are_valid_only_inside_one_piece(ulong address, ulong length, bool valid)
    {
        Assert.Equal(valid, _memory.TryGetSpan(new GuestAddress(address), length, out _));
        // What device code asks before it walks a descriptor chain must agree.
        Assert.Equal(valid, _memory.IsValidRange(new GuestAddress(address), length));
    }
}
