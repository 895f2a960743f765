//! Small-cell suppression for disaggregated tables.
//!
//! A cell built from fewer than `threshold` participants (but more than none) is suppressed
//! (primary suppression). When a table's cells add up to a published total, one suppressed cell
//! could be recovered by subtracting the others from the total, so when a table has exactly one
//! suppressed cell, the smallest other non-empty cell is suppressed too (complementary
//! suppression). Empty cells (n = 0) disclose nothing and stay visible.

/// Which cells of one table (one disaggregation of one indicator) to suppress, given the
/// number of participants behind each cell. The categories must partition the total, including
/// an "unknown" category for records without a value.
pub fn suppress(counts: &[usize], threshold: usize) -> Vec<bool> {
    let mut suppressed: Vec<bool> = counts.iter().map(|&n| n > 0 && n < threshold).collect();
    let primary = suppressed.iter().filter(|s| **s).count();
    if primary == 1 {
        let complement = counts
            .iter()
            .enumerate()
            .filter(|(i, n)| !suppressed[*i] && **n > 0)
            .min_by_key(|(i, n)| (**n, *i))
            .map(|(i, _)| i);
        if let Some(i) = complement {
            suppressed[i] = true;
        }
    }
    suppressed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_small_nothing_hidden() {
        assert_eq!(suppress(&[10, 20, 0], 5), vec![false, false, false]);
    }

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        assert_eq!(
            suppress(&[30, 3, 12, 40], 5),
            vec![false, true, true, false]
        );
    }

    #[test]
    fn two_small_cells_protect_each_other() {
        assert_eq!(suppress(&[30, 3, 2, 40], 5), vec![false, true, true, false]);
    }

    #[test]
    fn empty_cells_are_not_complements() {
        assert_eq!(suppress(&[0, 4, 9], 5), vec![false, true, true]);
    }

    #[test]
    fn a_lone_small_cell_with_nothing_to_pair_stays_suppressed() {
        assert_eq!(suppress(&[4, 0], 5), vec![true, false]);
    }
}
