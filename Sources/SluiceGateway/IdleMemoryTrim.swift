#if canImport(Glibc)
import Glibc
#endif

/// Gives memory freed after a burst back to the operating system (issue 15: after 800 keyless 1 MB bodies the
/// gateway's RSS stayed far above idle, because glibc's allocator keeps freed pages in its arenas).
///
/// Every ``GatewayLimits/idleMemoryTrimSeconds`` the gateway checks whether any client connection was opened since the
/// last check and none is open now; if so it calls glibc's `malloc_trim(0)`, which returns the free pages at the top
/// of every arena and unused whole pages inside them. A busy gateway is never trimmed (no pause on the request path);
/// an idle one is trimmed once per burst. Elsewhere than glibc it does nothing.
struct IdleMemoryTrim {
    /// Connections opened by the time of the last check (``ConnectionCount/opened``).
    private var openedAtLastCheck = 0
    /// Connections were opened since the last trim (a burst may still be open at one check and gone at the next).
    private var burstSinceTrim = false

    /// Whether to trim now: connections were opened since the last trim and none is open.
    mutating func shouldTrim(opened: Int, open: Int) -> Bool {
        burstSinceTrim = burstSinceTrim || opened != openedAtLastCheck
        openedAtLastCheck = opened
        guard burstSinceTrim && open == 0 else { return false }
        burstSinceTrim = false
        return true
    }

    /// glibc's `int malloc_trim(size_t pad)` (declared in `<malloc.h>`, which the Glibc module does not export), looked
    /// up once; `nil` on another C library.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
            return nil
        #endif
    }()

    /// Returns free heap pages to the operating system. - Returns: whether any memory was released.
    @discardableResult
    static func trim() -> Bool {
        guard let mallocTrim else { return false }
        return mallocTrim(0) != 0
    }
}
