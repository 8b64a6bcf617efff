//! What a run computes: the segments and priority groups it reports, the
//! segments they need (dependencies first), the fields those read, and the
//! params' values. Every engine and the optimizer take these from here, so
//! "which segments does this selection need" and "what is a param's value
//! under these overrides" each have one answer.

use crate::{Const, FieldId, ParamId, Program, SegmentId};

/// The segments and priority groups a run reports, and everything they need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    segments: Vec<SegmentId>,
    priorities: Vec<usize>,
    order: Vec<SegmentId>,
}

impl Selection {
    /// Every segment and priority group of `program`, in definition order.
    pub fn all(program: &Program) -> Selection {
        let segments = (0..program.segments.len())
            .map(|i| SegmentId(u32::try_from(i).unwrap_or(u32::MAX)))
            .collect();
        Selection::new(program, segments, (0..program.priorities.len()).collect())
    }

    /// These segments and priority groups (indexes into
    /// [`Program::priorities`]), reported in the order given. Ids the program
    /// does not have are kept (engines report them as internal errors) but
    /// contribute no dependencies.
    pub fn new(program: &Program, segments: Vec<SegmentId>, priorities: Vec<usize>) -> Selection {
        let order = needed_order(program, &segments, &priorities);
        Selection {
            segments,
            priorities,
            order,
        }
    }

    /// The segments reported, in output order.
    pub fn segments(&self) -> &[SegmentId] {
        &self.segments
    }

    /// The priority groups reported (indexes into [`Program::priorities`]).
    pub fn priorities(&self) -> &[usize] {
        &self.priorities
    }

    /// Every segment the reported ones and the groups' members need,
    /// dependencies first ([`Program::evaluation_order`] restricted to them).
    pub fn order(&self) -> &[SegmentId] {
        &self.order
    }

    /// The fields the needed segments read, plus the key when declared, in
    /// schema order: what a reader must load.
    pub fn required_fields(&self, program: &Program) -> Vec<FieldId> {
        let mut used = vec![false; program.schema.fields.len()];
        for id in &self.order {
            let Some(segment) = program.segments.get(id.0 as usize) else {
                continue;
            };
            let mut refs = Vec::new();
            crate::field_refs(&segment.where_, &mut refs);
            if let Some(exclude) = &segment.exclude {
                crate::field_refs(exclude, &mut refs);
            }
            for (field, _) in refs {
                if let Some(slot) = used.get_mut(field.0 as usize) {
                    *slot = true;
                }
            }
        }
        if let Some(key) = program.schema.key() {
            used[key.0 as usize] = true;
        }
        used.iter()
            .enumerate()
            .filter(|(_, u)| **u)
            .map(|(i, _)| FieldId(u32::try_from(i).unwrap_or(u32::MAX)))
            .collect()
    }
}

/// Every segment `segments` and the members of `priorities` need, in
/// evaluation order.
fn needed_order(program: &Program, segments: &[SegmentId], priorities: &[usize]) -> Vec<SegmentId> {
    let mut needed = vec![false; program.segments.len()];
    let mut stack: Vec<SegmentId> = segments.to_vec();
    for &p in priorities {
        if let Some(group) = program.priorities.get(p) {
            stack.extend(group.segments.iter().copied());
        }
    }
    while let Some(id) = stack.pop() {
        let Some(flag) = needed.get_mut(id.0 as usize) else {
            continue;
        };
        if *flag {
            continue;
        }
        *flag = true;
        let segment = &program.segments[id.0 as usize];
        crate::segment_refs(&segment.where_, &mut stack);
        if let Some(exclude) = &segment.exclude {
            crate::segment_refs(exclude, &mut stack);
        }
    }
    program
        .evaluation_order()
        .into_iter()
        .filter(|id| needed[id.0 as usize])
        .collect()
}

/// Every param's value: its default, or the override given for it.
pub fn param_values(program: &Program, overrides: &[(ParamId, Const)]) -> Vec<Const> {
    let mut values: Vec<Const> = program.params.iter().map(|p| p.value.clone()).collect();
    for (id, value) in overrides {
        if let Some(slot) = values.get_mut(id.0 as usize) {
            *slot = value.clone();
        }
    }
    values
}
